import ArgumentParser
import Foundation
import Offload

/// `offload status`: queue depth, lag and rates per queue and function, and the live workers.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show queue depth, lag and throughput per queue and function, and the live workers.",
        discussion: """
            Reads the monitoring views offload.queue_stats, offload.throughput and offload.live_workers, \
            so it shows what SQL shows.

            AVAILABLE jobs can run now; SCHEDULED wait for their run_at; RETRYABLE back off after a \
            failed attempt; DEAD ran out of attempts (see `offload jobs list --state dead`). LAG is how \
            long the oldest available job has waited: if it keeps growing, add workers. DONE/MIN is \
            completions per minute over the last 4–5 minutes.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print JSON (see docs/cli-json.md) instead of tables.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Refresh every this many seconds (or a duration such as 500ms or 1m) until interrupted.",
            valueName: "seconds"),
        transform: StatusCommand.parseInterval)
    var watch: Duration?

    func validate() throws {
        if let watch, watch < .milliseconds(100) {
            throw ValidationError("--watch must be at least 100ms.")
        }
    }

    func run() async throws {
        let offload = try await database.offload()
        defer { offload.pool.close() }
        guard let watch else {
            print(render(try await offload.status()))
            return
        }
        let clearsScreen = !json && isatty(STDOUT_FILENO) == 1
        while true {
            do {
                var text = render(try await offload.status(), pretty: false) + "\n"
                if clearsScreen {
                    text = "\u{1B}[H\u{1B}[2J" + "Every \(DurationParser.format(watch)); Ctrl-C to stop.\n\n" + text
                } else if !json {
                    text += "\n"
                }
                // Unbuffered, so each round shows at once even when standard output is a pipe.
                FileHandle.standardOutput.write(Data(text.utf8))
            } catch let error as CancellationError {
                throw error
            } catch {
                // A watch outlives a server restart: say what failed, try again next round.
                FileHandle.standardError.write(
                    Data("error: \(String(describing: error).escapingControlCharacters(keepingNewlines: true))\n".utf8))
            }
            try await Task.sleep(for: watch)
        }
    }

    private func render(_ status: StatusSnapshot, pretty: Bool = true) -> String {
        if json { return JSONOutput.status(status).rendered(pretty: pretty) }
        return StatusCommand.table(status)
    }

    /// The human form: one table of queues and functions, one of workers.
    static func table(_ status: StatusSnapshot) -> String {
        var text = ""
        if status.queues.isEmpty {
            text += "No jobs waiting, running or dead, and none finished in the last 5 minutes."
        } else {
            var rows = [
                ["QUEUE", "FUNCTION", "AVAILABLE", "SCHEDULED", "RUNNING", "RETRYABLE", "DEAD", "LAG", "DONE/MIN"]
            ]
            for stat in status.queues {
                rows.append([
                    stat.queue, stat.function, String(stat.available), String(stat.scheduled), String(stat.running),
                    String(stat.retryable), String(stat.dead),
                    stat.oldestRunAt == nil ? "-" : DurationParser.format(seconds: stat.lagSeconds),
                    HumanFormat.rate(stat.completedPerMinute),
                ])
            }
            text += TextTable.render(rows, rightAligned: Set(2...8))
        }
        text += "\n\n"
        if status.workers.isEmpty {
            text += "No live workers (none sent a heartbeat in the last minute)."
        } else {
            var rows = [["WORKER", "HOST", "PID", "QUEUES", "RUNNING", "CONCURRENCY", "HEARTBEAT", "STARTED"]]
            for worker in status.workers {
                rows.append([
                    worker.id, worker.hostname ?? "-", worker.pid.map(String.init) ?? "-",
                    worker.queues.joined(separator: ","), String(worker.runningJobs),
                    worker.concurrency.map(String.init) ?? "-",
                    DurationParser.format(seconds: worker.secondsSinceHeartbeat) + " ago",
                    HumanFormat.relative(worker.startedAt, now: status.at),
                ])
            }
            text += TextTable.render(rows, rightAligned: [2, 4, 5])
        }
        return text
    }

    /// A plain number is seconds (`2`, `0.5`); a duration (`500ms`, `1m`) works too.
    static func parseInterval(_ text: String) throws -> Duration {
        if let seconds = Double(text.trimmingSpaces), seconds.isFinite {
            // Checked before converting: `Int64(1e300)` would stop the process.
            guard seconds <= 86_400 else { throw ValidationError("at most a day (86400 seconds)") }
            return .milliseconds(Int64(saturating: (seconds * 1000).rounded()))
        }
        return try DurationParser.parse(text)
    }
}
