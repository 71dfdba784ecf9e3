/// The statements one connection has prepared, by SQL text, oldest first.
///
/// Parsing and planning can cost more than running a statement: the worker's claim of one job took
/// about 1 ms to plan and 0.3 ms to run. A named prepared statement pays that once per connection.
/// Only queries marked `prepared()` are cached, because a generic plan is a bet that the best plan
/// depends neither on the binds nor on the table's size. The worker's batch completion lost the
/// first (its generic plan rescanned its `unnest` for every running job), the claim the second.
struct PreparedStatementCache {
    /// The most statements kept; 0 turns caching off.
    let capacity: Int
    private var names: [String: String] = [:]
    private var oldestFirst: [String] = []
    private var lastNumber = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// Whether `query` should run as a prepared statement.
    func caches(_ query: Query) -> Bool {
        capacity > 0 && query.isPrepared
    }

    /// The name `sql` was prepared under, if it was.
    func name(for sql: String) -> String? {
        names[sql]
    }

    /// A name no statement of this connection has had.
    mutating func newName() -> String {
        lastNumber += 1
        return "offload_\(lastNumber)"
    }

    /// Records that `sql` is prepared as `name`. Returns the name of the statement it pushed out,
    /// which the caller should deallocate.
    mutating func add(_ sql: String, name: String) -> String? {
        names[sql] = name
        oldestFirst.append(sql)
        guard oldestFirst.count > capacity else { return nil }
        let evicted = oldestFirst.removeFirst()
        return names.removeValue(forKey: evicted)
    }

    /// Forgets `sql`, e.g. after the server lost or invalidated its statement.
    mutating func remove(_ sql: String) {
        guard names.removeValue(forKey: sql) != nil else { return }
        oldestFirst.removeAll { $0 == sql }
    }
}
