import PGClient
import Synchronization

/// Holds back the server's xmin horizon for a while, as a long report, a stuck migration or a `BEGIN`
/// left open in a psql session would: a REPEATABLE READ transaction that has taken its snapshot and an
/// xid, and then sits idle. Until it ends, vacuum may remove no row version that died after it began,
/// so every finished, pruned or claimed job leaves its dead tuples and index entries behind.
final class XminHolder: Sendable {
    /// When the transaction began and ended (nil: not yet).
    private struct Span {
        var start: ContinuousClock.Instant?
        var end: ContinuousClock.Instant?
    }

    private let span = Mutex(Span())

    /// Opens the transaction at `start` on a connection of its own and ends it at `end`. On
    /// cancellation the connection is closed, which ends the transaction too.
    func hold(
        _ configuration: ConnectionConfiguration, from start: ContinuousClock.Instant,
        until end: ContinuousClock.Instant
    ) async throws {
        try await Task.sleep(until: start)
        var configuration = configuration
        configuration.applicationName = "offload-bench-xmin"
        let connection = try await Connection.connect(configuration)
        try await connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        // The first statement takes the snapshot; txid_current() gives the transaction an xid as well.
        _ = try await connection.query("SELECT txid_current() AS xid")
        span.withLock { $0.start = .now }
        try await Task.sleep(until: end)
        try await connection.execute("ROLLBACK")
        span.withLock { $0.end = .now }
    }

    /// How long the transaction was open within `from..<until`.
    func heldDuring(_ from: ContinuousClock.Instant, _ until: ContinuousClock.Instant) -> Duration {
        let (start, end) = span.withLock { ($0.start, $0.end) }
        guard let start else { return .zero }
        let overlapStart = max(start, from)
        let overlapEnd = min(end ?? until, until)
        return overlapEnd > overlapStart ? overlapEnd - overlapStart : .zero
    }
}
