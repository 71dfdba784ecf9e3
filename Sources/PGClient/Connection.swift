import Dispatch
import LibPQ
import Logging
import Synchronization

/// Something that runs statements: a `Connection`, or a `ConnectionPool` (each statement on a pooled
/// connection, in autocommit mode).
public protocol Queryable: Sendable {
    /// Runs one statement and returns its rows.
    func query(_ query: Query) async throws -> QueryResult
}

extension Queryable {
    /// Runs one statement and returns how many rows it affected.
    @discardableResult
    public func execute(_ query: Query) async throws -> Int {
        try await self.query(query).affectedRows
    }
}

/// One PostgreSQL connection.
///
/// An actor whose executor is a serial `DispatchQueue` of its own: libpq's blocking calls run there,
/// never on Swift's cooperative thread pool, and one connection is never used by two threads at once.
public actor Connection: Queryable {
    private let executor: SerialQueueExecutor
    private let pq: PQConnection
    private nonisolated let canceller: PQCanceller?
    /// True while a statement runs, so a task cancellation only cancels our own statement.
    private nonisolated let statementRunning = Atomic<Bool>(false)
    /// The server process serving this connection (`pg_backend_pid()`).
    public nonisolated let backendPID: Int32
    nonisolated let socket: Int32
    /// Set once the connection failed; a broken connection is never reused.
    public private(set) var isBroken = false
    private var statements: PreparedStatementCache

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// The connection's queue as a task executor: prefer it (`withTaskExecutorPreference`) to run code
    /// that issues several statements on this connection without hopping threads for each.
    public nonisolated var taskExecutor: any TaskExecutor { executor }

    private init(executor: SerialQueueExecutor, pq: PQConnection, statementCacheCapacity: Int) {
        self.executor = executor
        self.pq = pq
        self.statements = PreparedStatementCache(capacity: statementCacheCapacity)
        self.canceller = pq.makeCanceller()
        self.backendPID = pq.backendPID
        self.socket = pq.socket
    }

    /// Opens a connection. The blocking connect runs on the connection's own queue.
    ///
    /// Sessions use `TimeZone=UTC` and `DateStyle=ISO`, which the value decoders rely on.
    /// Errors never include the password: libpq's messages don't, and the target is not repeated.
    public static func connect(_ configuration: ConnectionConfiguration) async throws -> Connection {
        let executor = SerialQueueExecutor(label: "offload.postgres.connection")
        let target = configuration.target
        let defaults = configuration.libpqDefaults
        let overrides = configuration.libpqOverrides
        let parameters = configuration.sessionParameters
        let pq = try await executor.run { () throws -> PQConnection in
            let pq: PQConnection
            do {
                pq = try PQConnection(target: target, defaults: defaults, overrides: overrides)
            } catch let error as PQConnectError {
                throw PGError(.connectionFailed, "cannot connect to PostgreSQL: \(configuration.scrub(error.message))")
            }
            let setup = pq.executeScript(
                "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_min_messages = 'warning'")
            if let error = setup.error { throw PGError(.connectionFailed, "session setup failed: \(error.message)") }
            for (name, value) in parameters {
                // Binds, so a value is never spliced into SQL. pg_catalog-qualified: the search path
                // may be the very thing this sets.
                let result = pq.execute("SELECT pg_catalog.set_config($1, $2, false)", parameters: [name, value])
                if let error = result.error {
                    throw PGError(.connectionFailed, "session setup failed: cannot set \(name): \(error.message)")
                }
            }
            return pq
        }
        return Connection(executor: executor, pq: pq, statementCacheCapacity: configuration.statementCacheCapacity)
    }

    /// Runs one statement. Task cancellation asks the server to cancel it and throws `CancellationError`.
    public func query(_ query: Query) async throws -> QueryResult {
        try Task.checkCancellation()
        return try await withTaskCancellationHandler {
            try run(query)
        } onCancel: {
            guard self.statementRunning.load(ordering: .acquiring), let canceller = self.canceller else { return }
            // PQcancel opens a connection to the server and waits for it, synchronously, on the
            // calling thread, which is whatever thread cancelled the task: often one of the
            // cooperative pool's few threads. Send it from a Dispatch thread instead.
            DispatchQueue.global().async { canceller.cancel() }
        }
    }

    /// Runs a script of several statements separated by semicolons, without binds (migrations).
    /// Unsafe: the text runs as it is, so it must never contain a value from outside the program.
    public func executeUnsafeScript(_ sql: String) throws {
        let result = pq.executeScript(sql)
        if let error = result.error { throw mapError(error) }
    }

    /// Runs a statement ignoring task cancellation: for `ROLLBACK` and other clean-up that must happen.
    func runUncancellable(_ query: Query) throws -> QueryResult {
        try run(query, honourCancellation: false)
    }

    private func run(_ query: Query, honourCancellation: Bool = true) throws -> QueryResult {
        guard !isBroken else { throw PGError(.connectionLost, "the connection to PostgreSQL was lost") }
        try query.validate()
        statementRunning.store(true, ordering: .releasing)
        let result = execute(query)
        statementRunning.store(false, ordering: .releasing)
        if let error = result.error {
            if honourCancellation, error.sqlState == SQLState.queryCanceled.rawValue, Task.isCancelled {
                throw CancellationError()
            }
            throw mapError(error)
        }
        let columnCount = result.columnCount
        let columns = Columns(names: (0..<columnCount).map { result.columnName($0) })
        var rows: [Row] = []
        rows.reserveCapacity(result.rowCount)
        for rowIndex in 0..<result.rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount { values.append(result.value(row: rowIndex, column: column)) }
            rows.append(Row(columns: columns, values: values))
        }
        return QueryResult(columns: columns, rows: rows, affectedRows: result.affectedRows ?? rows.count)
    }

    /// Sends `query`: as a prepared statement when the cache takes it (preparing it on first use),
    /// else with `PQexecParams`.
    private func execute(_ query: Query) -> PQResult {
        guard statements.caches(query) else { return pq.execute(query.sql, parameters: query.binds) }
        if let name = statements.name(for: query.sql) {
            let result = pq.executePrepared(name, parameters: query.binds)
            // The server lost the statement (DISCARD ALL) or its plan's result type changed (a table
            // was altered): prepare it afresh, unless the failure has aborted a transaction already.
            guard Self.isStale(result), !pq.isInTransaction else { return result }
            statements.remove(query.sql)
            deallocate(name)
        }
        let name = statements.newName()
        let prepared = pq.prepare(name, sql: query.sql)
        if prepared.error != nil { return prepared }  // e.g. a syntax error: the statement's own error
        if let evicted = statements.add(query.sql, name: name) { deallocate(evicted) }
        return pq.executePrepared(name, parameters: query.binds)
    }

    /// Drops a prepared statement on the server, outside transactions only: inside one, a failing
    /// DEALLOCATE would abort the caller's transaction, and a statement left behind costs little.
    private func deallocate(_ name: String) {
        guard !pq.isInTransaction else { return }
        _ = pq.executeScript("DEALLOCATE \(name)")
    }

    /// Whether a prepared statement failed because the server no longer has it as it was prepared:
    /// 26000 (it was deallocated, e.g. `DISCARD ALL`) or 0A000 ("cached plan must not change result
    /// type", after a table was altered). Matched by SQLSTATE alone, never by message text, which
    /// depends on the server's `lc_messages`; another 0A000 merely costs one re-prepare, and its own
    /// error comes back from the second try.
    private static func isStale(_ result: PQResult) -> Bool {
        guard let error = result.error else { return false }
        return error.sqlState == SQLState.invalidSQLStatementName.rawValue
            || error.sqlState == SQLState.featureNotSupported.rawValue
    }

    private func mapError(_ error: PQServerError) -> PGError {
        if !pq.isOK || error.sqlState == nil {
            isBroken = true
            return PGError(.connectionLost, "the connection to PostgreSQL was lost: \(error.message)")
        }
        let sqlState = error.sqlState.map(SQLState.init(rawValue:))
        if let sqlState, sqlState.errorClass == "08" || sqlState == .adminShutdown {
            isBroken = true
        }
        return PGError(.server, error.message, sqlState: sqlState, detail: error.detail, hint: error.hint)
    }

    /// Quotes an identifier (a database or channel name) with `PQescapeIdentifier`.
    public func quoteIdentifier(_ identifier: String) throws -> String {
        guard let quoted = pq.escapeIdentifier(identifier) else {
            throw PGError(.encoding, "cannot quote identifier: \(pq.errorMessage)")
        }
        return quoted
    }

    /// Whether the server sent something while the connection sat idle: usually a termination notice
    /// (after `pg_terminate_backend` or a server restart). Cheap: one `poll`, no hop to the actor.
    nonisolated func hasUnexpectedInput() -> Bool {
        PQSocket.hasPendingInput(socket)
    }

    /// Whether a transaction was left open (e.g. the body of `transaction` was interrupted).
    var isInTransaction: Bool { pq.isInTransaction }
}
