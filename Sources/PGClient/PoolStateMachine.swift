import DequeModule

/// The connection pool's bookkeeping, without I/O: which connections are idle, how many exist,
/// who waits. Each event returns an action that the pool performs after leaving its lock.
struct PoolStateMachine<Connection: AnyObject, Waiter> {
    /// What a task asking for a connection should do.
    enum AcquireAction {
        /// Use this idle connection.
        case use(Connection)
        /// Open a new connection (a slot was reserved for it).
        case open
        /// Wait; the waiter was queued.
        case wait
        /// The pool is closed.
        case fail
    }

    /// What to do with a connection being given back.
    enum ReleaseAction {
        /// Give it to this waiter.
        case handOver(Connection, to: Waiter)
        /// Its slot was freed and a waiter may open a new connection in it.
        case letOpen(Waiter)
        /// Nothing more to do (kept idle, or dropped with nobody waiting).
        case none
    }

    let maxConnections: Int
    private(set) var idle: [Connection] = []
    /// Connections open or being opened, idle ones included.
    private(set) var total = 0
    /// First come, first served: a `Deque`, so handing the next waiter a connection is O(1) however
    /// long the line (an array's `removeFirst` moves every other waiter).
    private var waiters: Deque<(id: Int, waiter: Waiter)> = []
    private(set) var isClosed = false

    init(maxConnections: Int) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.maxConnections = maxConnections
    }

    mutating func acquire(id: Int, waiter: Waiter) -> AcquireAction {
        if isClosed { return .fail }
        if let connection = idle.popLast() { return .use(connection) }
        if total < maxConnections {
            total += 1
            return .open
        }
        waiters.append((id, waiter))
        return .wait
    }

    /// A connection comes back; `reusable` is false when it broke.
    mutating func release(_ connection: Connection, reusable: Bool) -> ReleaseAction {
        if reusable && !isClosed {
            if !waiters.isEmpty { return .handOver(connection, to: waiters.removeFirst().waiter) }
            idle.append(connection)
            return .none
        }
        return slotFreed()
    }

    /// Opening a connection failed, or a handed-out connection was found broken and dropped.
    mutating func slotFreed() -> ReleaseAction {
        total -= 1
        if !isClosed, !waiters.isEmpty {
            total += 1
            return .letOpen(waiters.removeFirst().waiter)
        }
        return .none
    }

    /// Removes a waiter that gave up (timeout or cancellation); nil when it was already served.
    mutating func removeWaiter(id: Int) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).waiter
    }

    /// Closes the pool: returns the idle connections to drop and the waiters to fail.
    mutating func close() -> (idle: [Connection], waiters: [Waiter]) {
        isClosed = true
        let result = (idle, Array(waiters.map(\.waiter)))
        total -= idle.count
        idle = []
        waiters = []
        return result
    }
}
