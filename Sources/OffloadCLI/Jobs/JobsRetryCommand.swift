import ArgumentParser
import Foundation
import Offload
import PGClient

/// `offload jobs retry`: re-run jobs by id, or dead-letter jobs in bulk, optionally on another queue.
struct JobsRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Re-run jobs: by id, or every dead job matching --dead's filters.",
        discussion: """
            A retried job becomes available now with a fresh attempt budget (attempt 0), optionally on \
            another queue; its error history is kept. By id, dead, cancelled, completed and retryable \
            jobs can be retried; with --dead, dead jobs only. Idle workers of the target queue wake at once.

            Examples:
              offload jobs retry 41 42
              offload jobs retry --dead --function send-welcome-email --since 2h --dry-run
              offload jobs retry --dead --queue mail --to-queue mail-slow
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "Ids of the jobs to re-run.", transform: JobIDArgument.parse)
    var ids: [Int64] = []

    @Flag(help: "Re-run every dead job that matches --function, --queue and --since (all dead jobs without them).")
    var dead = false

    @Option(help: ArgumentHelp("With --dead: only jobs of this function.", valueName: "function"))
    var function: String?

    @Option(help: ArgumentHelp("With --dead: only jobs on this queue.", valueName: "queue"))
    var queue: String?

    @Option(
        help: ArgumentHelp(
            "With --dead: only jobs that died this long ago or later (e.g. 2h), or since this ISO 8601 time.",
            valueName: "duration|time"),
        transform: JobsRetryCommand.parseSince)
    var since: TimePoint?

    @Option(
        name: .customLong("to-queue"),
        help: ArgumentHelp("Run the jobs on this queue instead of their own.", valueName: "queue"))
    var toQueue: String?

    @Flag(name: .customLong("dry-run"), help: "Show what would be re-run; change nothing.")
    var dryRun = false

    @Flag(help: "Print JSON (see docs/cli-json.md).")
    var json = false

    func validate() throws {
        if dead, !ids.isEmpty { throw ValidationError("give job ids or --dead, not both.") }
        if !dead, ids.isEmpty { throw ValidationError("give the ids of the jobs to retry, or --dead.") }
        if !dead {
            if function != nil { throw ValidationError("--function filters dead jobs: use it with --dead.") }
            if queue != nil { throw ValidationError("--queue filters dead jobs: use it with --dead.") }
            if since != nil { throw ValidationError("--since filters dead jobs: use it with --dead.") }
        }
        if let toQueue, !(1...100).contains(toQueue.count) {
            throw ValidationError("--to-queue must be 1 to 100 characters long.")
        }
    }

    func run() async throws {
        let offload = try await database.offload()
        defer { offload.pool.close() }
        if dead {
            try await retryDead(offload)
        } else {
            try await retryByID(offload)
        }
    }

    private func retryDead(_ offload: Offload) async throws {
        let filter = DeadJobFilter(function: function, queue: queue, diedSince: since)
        let result = try await offload.retryDeadJobs(filter, toQueue: toQueue, dryRun: dryRun)
        let retried = result.retried.map {
            JSONOutput.RetriedJob(id: $0.id, function: $0.function, queue: $0.targetQueue)
        }
        let skipped = result.skipped.map { job in
            JSONOutput.NotRetriedJob(
                id: job.id, state: .dead,
                reason:
                    "another job of \(job.function) with the same unique key is waiting or running, or is retried instead"
            )
        }
        if json {
            print(JSONOutput.retry(dryRun: dryRun, retried: retried, notRetried: skipped).rendered())
            return
        }
        let verb = dryRun ? "would retry" : "retried"
        let destination = toQueue.map { " on queue \($0.escapingControlCharacters)" } ?? ""
        print("\(verb) \(retried.count) dead job\(retried.count == 1 ? "" : "s")\(destination)")
        if dryRun, !result.retried.isEmpty {
            var rows = [["ID", "FUNCTION", "QUEUE", "TO QUEUE"]]
            rows += result.retried.map { [String($0.id), $0.function, $0.queue, $0.targetQueue] }
            print(TextTable.render(rows, rightAligned: [0]))
        }
        for job in skipped {
            print("left job \(job.id) dead: \(job.reason.escapingControlCharacters)")
        }
    }

    private func retryByID(_ offload: Offload) async throws {
        var retried: [JSONOutput.RetriedJob] = []
        var failed: [JSONOutput.NotRetriedJob] = []
        for id in ids {
            do {
                switch try await offload.retryJob(id, toQueue: toQueue) {
                case .retried(let queue):
                    retried.append(.init(id: id, function: nil, queue: queue))
                case .notFound:
                    failed.append(.init(id: id, state: nil, reason: "no job \(id)"))
                case .notRetryable(let state):
                    failed.append(
                        .init(
                            id: id, state: state,
                            reason:
                                "job \(id) is \(state.rawValue) already; only dead, cancelled, completed or retryable jobs can be retried"
                        ))
                }
            } catch let error as PGError where error.sqlState == .uniqueViolation {
                // offload.retry explains which active job holds the unique key.
                failed.append(.init(id: id, state: nil, reason: error.message))
            }
        }
        if json {
            print(JSONOutput.retry(dryRun: false, retried: retried, notRetried: failed).rendered())
        } else {
            for job in retried { print("retried job \(job.id) on queue \(job.queue.escapingControlCharacters)") }
        }
        guard failed.isEmpty else {
            let reasons = failed.map(\.reason).joined(separator: "\nerror: ")
            throw CLIError(
                ids.count == 1 ? reasons : "\(reasons)\nerror: retried \(retried.count) of \(ids.count) jobs")
        }
    }

    /// A duration back from now (`2h`), or an ISO 8601 time.
    static func parseSince(_ text: String) throws -> TimePoint {
        if (try? DurationParser.parse(text)) != nil { return .ago(try DurationParser.parseAgo(text)) }
        do {
            return .date(try TimestampParser.parse(text))
        } catch  where error.reason != nil {
            throw error  // shaped like a time, but names none: say what is wrong with it
        } catch {}
        throw ValidationError(
            "\"\(text)\" is neither a duration (e.g. 30m, 2h, 7d) nor an ISO 8601 time (e.g. 2026-11-29T05:00:00Z)")
    }
}
