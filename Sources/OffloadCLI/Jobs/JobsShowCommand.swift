import ArgumentParser
import Foundation
import Offload

/// `offload jobs show ID`: one job, everything recorded about it.
struct JobsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one job: arguments, state, attempts, every error, result, timestamps, worker."
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The job id.", transform: JobIDArgument.parse)
    var id: Int64

    @Flag(help: "Print JSON (see docs/cli-json.md).")
    var json = false

    func run() async throws {
        let offload = try await database.offload()
        defer { offload.pool.close() }
        guard let job = try await offload.job(id: id) else {
            throw CLIError("no job \(id) (it never existed, or it finished and was pruned)")
        }
        if json {
            print(JSONOutput.job(job).rendered())
        } else {
            print(Self.describe(job, now: Date()))
        }
    }

    /// The human form: a field list, the arguments and result as indented JSON, then the errors.
    static func describe(_ job: JobInfo, now: Date) -> String {
        func time(_ date: Date?) -> String { date.map { HumanFormat.timestampWithAge($0, now: now) } ?? "-" }
        var fields: [[String]] = [
            ["id", String(job.id)],
            ["function", job.function],
            ["queue", job.queue],
            [
                "state",
                job.state.rawValue
                    + (job.cancelRequestedAt != nil && job.state == .running ? " (cancel requested)" : ""),
            ],
            ["attempts", "\(job.attempt) of \(job.maxAttempts)"],
            ["priority", String(job.priority)],
            ["created", time(job.createdAt)],
            ["run at", time(job.runAt)],
            ["attempted", time(job.attemptedAt)],
            ["finished", time(job.finishedAt)],
            ["worker", job.workerID ?? "-"],
        ]
        if job.state == .running { fields.append(["lease until", time(job.leaseUntil)]) }
        if let uniqueKey = job.uniqueKey { fields.append(["unique key", uniqueKey]) }
        if let eventID = job.eventID { fields.append(["event", String(eventID)]) }
        if !job.tags.isEmpty { fields.append(["tags", job.tags.joined(separator: ", ")]) }
        var text = TextTable.render(fields.map { [$0[0] + ":", $0[1]] })
        text += "\n\narguments:\n" + indented(JSONOutput.embedded(job.argumentsJSON).rendered())
        if let result = job.resultJSON {
            text += "\n\nresult:\n" + indented(JSONOutput.embedded(result).rendered())
        }
        if job.errors.isEmpty {
            text += "\n\nerrors: none"
        } else {
            text += "\n\nerrors (\(job.errors.count), oldest first):"
            for error in job.errors {
                var heading = "attempt \(error.attempt) at \(HumanFormat.timestamp(error.at))"
                if let type = error.type { heading += ", \(type.escapingControlCharacters)" }
                if let worker = error.worker { heading += ", worker \(worker.escapingControlCharacters)" }
                // Lines of a multi-line message stay lines, each indented, so none can pass for a heading.
                text +=
                    "\n  " + heading + "\n"
                    + indented(error.message.escapingControlCharacters(keepingNewlines: true), by: 4)
            }
        }
        return text
    }

    private static func indented(_ text: String, by count: Int = 2) -> String {
        let padding = String(repeating: " ", count: count)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { padding + $0 }.joined(
            separator: "\n")
    }
}
