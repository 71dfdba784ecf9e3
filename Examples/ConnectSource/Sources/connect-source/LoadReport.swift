import ConnectSourceApp
import Foundation

/// The load run's summary: the API's latency next to the background work's, and what went wrong.
struct LoadReport {
    var requests: Int
    var rate: Double
    var results: [RequestResult]
    var jobs: [BackgroundJob]
    /// The functions subscribed to the event: each source should have one completed job per function.
    var functions: [String]
    /// On the database's clock, seconds since 1970.
    var startedAt: Double
    var answeredAt: Double

    var created: Int { results.filter { $0.sourceID != nil }.count }
    var failedRequests: [RequestResult] { results.filter { $0.sourceID == nil } }
    var realJobs: [BackgroundJob] { jobs.filter { $0.function != nil } }
    var lastFinished: Double? { realJobs.compactMap(\.finishedAt).max() }

    /// Everything that makes the run a failure; empty when every source has all its jobs completed.
    var problems: [String] {
        var problems: [String] = []
        if !failedRequests.isEmpty {
            let first = failedRequests[0].failure ?? "no answer"
            problems.append("failed requests: \(failedRequests.count) of \(requests) (first: \(first))")
        }
        if functions.isEmpty {
            problems.append("no function is registered for \(SourceConnected.name): did the API register them?")
        }
        let bySource = Dictionary(grouping: jobs, by: \.sourceID)
        let missing = results.compactMap(\.sourceID).filter { bySource[$0] == nil }
        if !missing.isEmpty {
            problems.append("created sources missing from the database: \(missing.count) (first: \(missing[0]))")
        }
        let incomplete = bySource.filter { _, jobs in
            jobs.filter { $0.state == "completed" }.count != functions.count
                || Set(jobs.compactMap(\.function)) != Set(functions)
        }
        if !incomplete.isEmpty {
            let example = incomplete.min { $0.key < $1.key }!
            let states = example.value.map { "\($0.function ?? "no job"): \($0.state ?? "missing")" }.joined(
                separator: ", ")
            problems.append(
                "sources without exactly one completed job per function: \(incomplete.count) of \(created) "
                    + "(first: source \(example.key): \(states))"
            )
        }
        let count = { (state: String) in realJobs.filter { $0.state == state }.count }
        if count("dead") > 0 { problems.append("dead jobs: \(count("dead")) (see offload.failures)") }
        let unfinished = realJobs.filter(\.isUnfinished).count
        if unfinished > 0 { problems.append("jobs still unfinished when the wait timed out: \(unfinished)") }
        return problems
    }

    func render() -> String {
        let api = LatencySummary(results.filter { $0.sourceID != nil }.map(\.milliseconds))
        let perSource = Dictionary(grouping: realJobs, by: \.sourceID).values.compactMap { jobs -> Double? in
            // A source's background work is done when its last job finished.
            guard let first = jobs.first, jobs.allSatisfy({ $0.finishedAt != nil }) else { return nil }
            return jobs.compactMap(\.finishedAt).max()! - first.sourceCreatedAt
        }
        let background = LatencySummary(perSource)
        let count = { (state: String) in realJobs.filter { $0.state == state }.count }

        var left = [
            "The API answered",
            "  \(created) × 201 Created, \(failedRequests.count) failed",
            "  response time",
            "    p50  \(Self.milliseconds(api.p50))",
            "    p95  \(Self.milliseconds(api.p95))",
            "    p99  \(Self.milliseconds(api.p99))",
            "    max  \(Self.milliseconds(api.max))",
        ]
        left.append("  sent in \(Self.seconds(answeredAt - startedAt))")
        var right = [
            "The background work",
            "  \(realJobs.count) jobs: \(count("completed")) completed, \(count("dead")) dead, "
                + "\(realJobs.filter(\.isUnfinished).count) unfinished",
            "  request → all its jobs done",
            "    p50  \(Self.seconds(background.p50))",
            "    p95  \(Self.seconds(background.p95))",
            "    p99  \(Self.seconds(background.p99))",
            "    max  \(Self.seconds(background.max))",
        ]
        if realJobs.contains(where: \.isUnfinished) {
            right.append("  not all done when the wait ended")
        } else if let lastFinished {
            right.append("  all done \(Self.seconds(lastFinished - startedAt)) after the first request")
            right.append("    (\(Self.seconds(max(0, lastFinished - answeredAt))) after the last answer)")
        }

        var lines = [
            "", "Results: \(requests) requests at \(LoadCommand.format(rate))/s", String(repeating: "─", count: 84),
        ]
        let width = 40
        for index in 0..<max(left.count, right.count) {
            let l = index < left.count ? left[index] : ""
            let r = index < right.count ? right[index] : ""
            lines.append(l.padding(toLength: width, withPad: " ", startingAt: 0) + r)
        }
        lines.append("")
        lines.append(contentsOf: functionTable())
        lines.append("")

        let retried = realJobs.filter { $0.attempt > 1 }
        let problems = self.problems
        if problems.isEmpty {
            lines.append(
                "✓ Every source has its \(functions.count) jobs completed (\(functions.joined(separator: ", "))): "
                    + "none lost, none left unfinished."
            )
        } else {
            for problem in problems { lines.append("✗ \(problem)") }
        }
        if retried.isEmpty {
            lines.append("  No job needed a retry.")
        } else {
            let failedAttempts = retried.map(\.failedAttempts).reduce(0, +)
            let completed = retried.filter { $0.state == "completed" }.count
            lines.append(
                "✓ Retries: \(Self.count(retried.count, "job")) needed more than one attempt "
                    + "(\(Self.count(failedAttempts, "failed attempt")) in all) and \(completed) of them completed; "
                    + "offload.jobs.errors keeps each failure."
            )
        }
        return lines.joined(separator: "\n")
    }

    /// Jobs, outcomes and queue-to-done time per function.
    private func functionTable() -> [String] {
        var rows = [["FUNCTION", "JOBS", "COMPLETED", "DEAD", "RETRIED", "FAILED ATTEMPTS", "DONE p50", "DONE p95"]]
        for (function, jobs) in Dictionary(grouping: realJobs, by: { $0.function ?? "" }).sorted(by: { $0.key < $1.key }
        ) {
            let done = LatencySummary(jobs.compactMap { job in job.finishedAt.map { $0 - job.sourceCreatedAt } })
            rows.append([
                function,
                "\(jobs.count)",
                "\(jobs.filter { $0.state == "completed" }.count)",
                "\(jobs.filter { $0.state == "dead" }.count)",
                "\(jobs.filter { $0.attempt > 1 }.count)",
                "\(jobs.map(\.failedAttempts).reduce(0, +))",
                Self.seconds(done.p50),
                Self.seconds(done.p95),
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            "  "
                + row.enumerated().map { column, cell in
                    column == 0
                        ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                        : String(repeating: " ", count: widths[column] - cell.count) + cell
                }.joined(separator: "  ")
        }
    }

    /// "1 job", "2 jobs".
    static func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }

    static func milliseconds(_ value: Double) -> String { String(format: "%7.1f ms", value) }

    static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }
}
