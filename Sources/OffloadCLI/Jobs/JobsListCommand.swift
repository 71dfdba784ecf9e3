import ArgumentParser
import Foundation
import Offload

/// `offload jobs list`: the newest jobs matching a filter.
struct JobsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List jobs, newest first.",
        discussion: """
            Examples:
              offload jobs list --state dead
              offload jobs list --function send-welcome-email --queue mail --limit 10 --json
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(
        name: .customLong("state"),
        help: ArgumentHelp(
            "Only jobs in this state (available, running, retryable, completed, dead, cancelled); repeat or separate with commas.",
            valueName: "state"))
    var stateNames: [String] = []

    @Option(help: ArgumentHelp("Only jobs of this function.", valueName: "function"))
    var function: String?

    @Option(help: ArgumentHelp("Only jobs on this queue.", valueName: "queue"))
    var queue: String?

    @Option(help: "The most jobs to show.")
    var limit = 50

    @Flag(help: "Print JSON (see docs/cli-json.md) instead of a table.")
    var json = false

    func validate() throws {
        _ = try JobStateArgument.parse(stateNames, option: "--state")
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1.") }
    }

    func run() async throws {
        let filter = JobFilter(
            states: try JobStateArgument.parse(stateNames, option: "--state"),
            function: function, queue: queue, limit: limit
        )
        let offload = try await database.offload()
        defer { offload.pool.close() }
        let jobs = try await offload.listJobs(filter)
        if json {
            print(JSONValue.array(jobs.map(JSONOutput.job)).rendered())
            return
        }
        guard !jobs.isEmpty else {
            print("No jobs match.")
            return
        }
        let now = Date()
        var rows = [["ID", "STATE", "QUEUE", "FUNCTION", "ATTEMPT", "CREATED", "LAST ERROR"]]
        for job in jobs {
            rows.append([
                String(job.id), job.state.rawValue, job.queue, job.function, "\(job.attempt)/\(job.maxAttempts)",
                HumanFormat.relative(job.createdAt, now: now),
                job.errors.last.map { HumanFormat.oneLine($0.message, limit: 70) } ?? "",
            ])
        }
        print(TextTable.render(rows, rightAligned: [0]))
        if jobs.count == limit {
            print("(showing the newest \(limit); use --limit to see more)")
        }
    }
}
