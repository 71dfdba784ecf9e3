import Foundation
import PGClient

extension Offload {
    /// `offload.health`, plus how long a claim takes now (see `claimLatency(queue:)`).
    public func health() async throws -> [HealthCheck] {
        var checks = try await pool.query(AdminSQL.health).rows.map(HealthCheck.init(row:))
        checks.append(try await claimLatencyCheck())
        return checks
    }

    /// How long one claim of a job from `queue` takes right now, measured by claiming in a
    /// transaction that is rolled back (no job changes hands); nil when this role may not claim (a
    /// monitor login). A claim reads only due jobs (migration 9), so it should stay around a
    /// millisecond whatever the table holds; when it does not, vacuum is losing (dead index entries).
    public func claimLatency(queue: String = "default") async throws -> Duration? {
        try await pool.withConnection { connection in
            try await connection.execute("BEGIN")
            do {
                let started = ContinuousClock.now
                _ = try await connection.query(AdminSQL.probeClaim(queue: queue))
                let took = ContinuousClock.now - started
                try await connection.execute("ROLLBACK")
                return took
            } catch let error as PGError where error.sqlState == .insufficientPrivilege {
                try await connection.execute("ROLLBACK")
                return nil
            }
        }
    }

    private func claimLatencyCheck() async throws -> HealthCheck {
        // The busiest queue with work waiting, else the default one.
        let queue = try await queueStats().max { $0.available < $1.available }.map(\.queue) ?? "default"
        guard let latency = try await claimLatency(queue: queue) else {
            return HealthCheck(
                name: "claim latency", status: .ok, value: nil,
                summary: "not measured: this role may not claim jobs (run as the worker role to measure it)",
                advice: nil
            )
        }
        let milliseconds = latency.seconds * 1000
        let slow = milliseconds > 50
        return HealthCheck(
            name: "claim latency", status: slow ? .warning : .ok, value: milliseconds,
            summary: String(format: "a claim from queue \"%@\" takes %.2f ms now", queue, milliseconds),
            advice: slow
                ? "claims are slow: look at the vacuum rows above (dead index entries) and at the server's load" : nil
        )
    }
}
