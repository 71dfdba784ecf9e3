import Logging
import PGClient

/// The entry point for app code: enqueue jobs and send events, inside your own transactions.
///
/// ```swift
/// let offload = Offload(pool: pool)
/// try await pool.transaction { tx in
///     let id = try await tx.query("INSERT INTO sources (url) VALUES (\(url)) RETURNING id").single(Int.self, "id")
///     try await offload.send(SourceConnected(sourceId: id), on: tx)
/// }
/// ```
/// Every method that takes `on:` joins the caller's transaction: the job or event exists if and only
/// if that transaction commits. The variants without `on:` use a pooled connection in autocommit.
public struct Offload: Sendable {
    /// The pool used by the methods that don't take a connection.
    public let pool: ConnectionPool
    /// Where Offload logs.
    public let logger: Logger

    /// Creates a client over `pool`.
    public init(pool: ConnectionPool, logger: Logger = Logger(label: "offload")) {
        self.pool = pool
        self.logger = logger
    }
}
