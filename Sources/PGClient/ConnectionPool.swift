import Logging
import Synchronization

/// A bounded pool of connections.
///
/// `withConnection` lends a connection for the length of a closure; `transaction` wraps the closure
/// in `BEGIN`/`COMMIT`. When every connection is in use, callers wait in line for at most
/// `acquireTimeout`, then get a `.poolTimeout` error. Connections that broke (a server restart,
/// `pg_terminate_backend`) are dropped and replaced by fresh ones.
public final class ConnectionPool: Queryable {
    /// What a waiting task is told when its turn comes.
    enum Lease: Sendable {
        case connection(Connection)
        case open
    }

    typealias Waiter = CheckedContinuation<Lease, any Error>

    /// Where the pool connects to.
    public let configuration: ConnectionConfiguration
    /// How long a caller waits for a free connection before `.poolTimeout`.
    public let acquireTimeout: Duration
    private let state: Mutex<PoolStateMachine<Connection, Waiter>>
    private let nextWaiterID = Atomic<Int>(0)
    private let logger: Logger

    /// Creates a pool; connections are opened on demand, up to `maxConnections`.
    ///
    /// - Parameters:
    ///   - maxConnections: the most connections open at once. Defaults to 10.
    ///   - acquireTimeout: how long to wait for a free connection. Defaults to 10 seconds.
    public init(
        _ configuration: ConnectionConfiguration,
        maxConnections: Int = 10,
        acquireTimeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "offload.postgres")
    ) {
        self.configuration = configuration
        self.acquireTimeout = acquireTimeout
        self.state = Mutex(PoolStateMachine(maxConnections: maxConnections))
        self.logger = logger
    }

    /// The most connections this pool opens.
    public var maxConnections: Int { state.withLock { $0.maxConnections } }

    /// Connections currently open or being opened (idle ones included).
    public var openConnections: Int { state.withLock { $0.total } }

    /// Lends a connection to `body` and takes it back afterwards, whatever happens.
    ///
    /// A transaction left open by `body` is rolled back before the connection is reused.
    @discardableResult
    public func withConnection<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Connection) async throws -> T
    ) async throws -> T {
        let connection = try await acquire()
        do {
            // The body's own code runs on the connection's queue (when it is not isolated to an
            // actor), so its statements need no thread hop each (see SerialQueueExecutor).
            let result = try await withTaskExecutorPreference(connection.taskExecutor, isolation: isolation) {
                try await body(connection)
            }
            await release(connection)
            return result
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection: commits when it returns, rolls back when it
    /// throws or the task is cancelled.
    @discardableResult
    public func transaction<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Connection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await connection.transaction { try await body($0) }
        }
    }

    /// Runs one statement on a pooled connection, in autocommit mode.
    public func query(_ query: Query) async throws -> QueryResult {
        try await withConnection { try await $0.query(query) }
    }

    /// Closes idle connections and fails waiters; connections in use close when given back.
    public func close() {
        let (idle, waiters) = state.withLock { $0.close() }
        _ = idle  // dropping the last reference closes each connection (PQfinish in deinit)
        for waiter in waiters { waiter.resume(throwing: PGError(.poolClosed, "the connection pool was closed")) }
    }

    // MARK: - Lending

    private func acquire() async throws -> Connection {
        while true {
            switch try await lease() {
            case .connection(let connection):
                // An idle pooled connection has no reason to receive anything: input means the server is
                // closing it (pg_terminate_backend, shutdown). Dropping it costs one reconnect at worst.
                if connection.hasUnexpectedInput() {
                    logger.debug("dropping a pooled connection that the server closed")
                    perform(state.withLock { $0.slotFreed() })
                    continue
                }
                return connection
            case .open:
                do {
                    return try await Connection.connect(configuration)
                } catch {
                    perform(state.withLock { $0.slotFreed() })
                    throw error
                }
            }
        }
    }

    private func lease() async throws -> Lease {
        try Task.checkCancellation()
        let id = nextWaiterID.add(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                switch state.withLock({ $0.acquire(id: id, waiter: waiter) }) {
                case .use(let connection):
                    waiter.resume(returning: .connection(connection))
                case .open:
                    waiter.resume(returning: .open)
                case .fail:
                    waiter.resume(throwing: PGError(.poolClosed, "the connection pool was closed"))
                case .wait:
                    // The cancellation handler may have run before the waiter was queued.
                    if Task.isCancelled { giveUp(id, with: CancellationError()) }
                    scheduleTimeout(for: id)
                }
            }
        } onCancel: {
            giveUp(id, with: CancellationError())
        }
    }

    private func scheduleTimeout(for id: Int) {
        let timeout = acquireTimeout
        let maxConnections = self.maxConnections
        // Unstructured on purpose: the waiter is a continuation, not a task we could race in a group,
        // and the timer must outlive this synchronous scope. It only ever fails a waiter still queued.
        Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.giveUp(
                id,
                with: PGError(
                    .poolTimeout,
                    "no database connection became free within \(timeout) (all \(maxConnections) in use)"
                )
            )
        }
    }

    private func giveUp(_ id: Int, with error: any Error) {
        state.withLock { $0.removeWaiter(id: id) }?.resume(throwing: error)
    }

    private func release(_ connection: Connection) async {
        let reusable = await connection.prepareForReuse()
        perform(state.withLock { $0.release(connection, reusable: reusable) })
    }

    private func perform(_ action: PoolStateMachine<Connection, Waiter>.ReleaseAction) {
        switch action {
        case .handOver(let connection, let waiter):
            waiter.resume(returning: .connection(connection))
        case .letOpen(let waiter):
            waiter.resume(returning: .open)
        case .none:
            break
        }
    }
}

extension Connection {
    /// Rolls back a transaction left open and reports whether the connection can be reused.
    func prepareForReuse() -> Bool {
        if isBroken { return false }
        if isInTransaction {
            _ = try? runUncancellable("ROLLBACK")
        }
        return !isBroken
    }
}
