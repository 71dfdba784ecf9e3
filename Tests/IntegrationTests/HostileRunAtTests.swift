import Foundation
import OffloadTestKit
import PGClient
import Testing

@testable import Offload

@Suite("Odd run_at values already stored")
struct HostileRunAtTests {
    /// `run_at` in 1700 once crashed every worker that claimed it (the queue-wait metric's
    /// nanoseconds overflowed Int64), and the job, oldest in line, crashed the next worker too. The
    /// SQL API refuses such values now; these rows are written the way older versions let an
    /// enqueuer write them, and run like any other, with the rest of their batch.
    @Test func jobsDueInTheDistantPastRunAndTheWorkerSurvives() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let greet = Function(id: "greet") { (_: Greet, _: JobContext) in }
            var ids: [Int64] = []
            for runAt in ["1700-01-01", "0001-01-01", "-infinity", "4713-01-01 BC", "now"] {
                let id = try await Offload(pool: pool).enqueue(Greet(name: runAt))
                try await pool.execute(
                    Query(
                        unsafeSQL: "UPDATE offload.jobs SET run_at = $1::timestamptz WHERE id = $2",
                        binds: [runAt, String(id)]))
                ids.append(id)
            }
            let worker = testWorker(pool: pool, functions: [greet])
            try await whileRunning(worker) { () async throws in
                #expect(try await eventually { try await count(pool, "state = 'completed'") == ids.count })
            }
            #expect(try await count(pool, "attempt = 1 AND errors = '[]'") == ids.count)
        }
    }

    @Test func queueWaitClampsInsteadOfTrapping() {
        let now = Date()
        #expect(abs(now.nanosecondsSince(now.addingTimeInterval(-1.5)) - 1_500_000_000) < 1_000)
        #expect(now.nanosecondsSince(Date(timeIntervalSince1970: -8_520_336_000)) == .max)  // 1700-01-01
        #expect(now.nanosecondsSince(Date(timeIntervalSince1970: 1e13)) == .min)
    }
}
