import PGClient

/// What `Worker.runUntilEmpty()` did.
public struct RunSummary: Sendable, Equatable {
    /// Attempts run, whatever their outcome.
    public var attempts: Int
}

extension Worker {
    /// Runs every job that is runnable now, and any that become runnable while it runs, until none is
    /// left; then writes their outcomes and returns. No listener, heartbeat or maintenance: this is for
    /// tests and one-off scripts ("work off the queue"), with the same claim, run and record path as
    /// `run()`. Jobs retried with a backoff are not waited for.
    @discardableResult
    public func runUntilEmpty() async throws -> RunSummary {
        try await Offload(pool: ownPool, logger: logger).register(Array(functions.values))
        var attempts = 0
        while true {
            let claimed = try await claimAndStart(limit: configuration.concurrency)
            if claimed == 0 { break }
            attempts += claimed
            while running.count > 0 { await waitForASlot(below: 1, timeout: .milliseconds(50)) }
            guard await outcomes.writePending(retryUntil: outcomes.clock.now.advanced(by: .seconds(10))) else {
                throw PGError(.connectionLost, "could not record job outcomes")
            }
        }
        return RunSummary(attempts: attempts)
    }
}
