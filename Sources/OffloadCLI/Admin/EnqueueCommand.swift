import ArgumentParser
import Foundation
import Offload

/// `offload enqueue FUNCTION JSON`: enqueue one job from a shell script or cron.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Enqueue a job for a function.",
        discussion: """
            Prints the job id. Queue and attempts default to what the function's workers registered, \
            else "default" and 25. With a --unique-key that an unfinished job of the function holds, \
            nothing is enqueued and that job's id is printed.

            Examples:
              offload enqueue send-welcome-email '{"userId": 7}' --queue mail --delay 5m
              offload enqueue report --run-at 2026-12-01T03:00:00Z --unique-key dec-1
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("The function id.", valueName: "function"))
    var function: String

    @Argument(
        help: ArgumentHelp("The arguments: a JSON object, or - to read them from standard input.", valueName: "json"))
    var arguments = "{}"

    @Option(help: ArgumentHelp("The queue. Defaults to the function's.", valueName: "queue"))
    var queue: String?

    @Option(
        help: ArgumentHelp("Run no sooner than this from now, e.g. 30s, 5m, 2h.", valueName: "duration"),
        transform: { text in try DurationParser.parse(text) })
    var delay: Duration?

    @Option(
        name: .customLong("run-at"),
        help: ArgumentHelp("Run no sooner than this ISO 8601 time, e.g. 2026-12-01T03:00:00Z.", valueName: "time"),
        transform: { text in try TimestampParser.parse(text) })
    var runAt: Date?

    // .unconditional, so that a negative value (`--priority -5`) is not taken for an option.
    @Option(parsing: .unconditional, help: "Lower runs first, -100 to 100.")
    var priority = 0

    @Option(
        name: .customLong("unique-key"),
        help: ArgumentHelp("At most one unfinished job of the function per key.", valueName: "key"))
    var uniqueKey: String?

    @Option(
        name: .customLong("max-attempts"),
        help: ArgumentHelp("Attempts before the job is dead. Defaults to the function's.", valueName: "n"))
    var maxAttempts: Int?

    @Option(
        name: .customLong("tag"), help: ArgumentHelp("A label for filtering; repeat for several.", valueName: "tag"))
    var tags: [String] = []

    func validate() throws {
        if delay != nil, runAt != nil { throw ValidationError("give --delay or --run-at, not both.") }
        guard (-100...100).contains(priority) else { throw ValidationError("--priority must be between -100 and 100.") }
        if let maxAttempts, !(1...1000).contains(maxAttempts) {
            throw ValidationError("--max-attempts must be between 1 and 1000.")
        }
    }

    func run() async throws {
        let json = try JSONArgument.object(arguments, role: "arguments")
        let offload = try await database.offload()
        defer { offload.pool.close() }
        let options = JobOptions(
            queue: queue, priority: priority, runAt: runAt, delay: delay, maxAttempts: maxAttempts,
            uniqueKey: uniqueKey, tags: tags
        )
        print(try await offload.enqueue(function: function, json: json, options: options))
    }
}
