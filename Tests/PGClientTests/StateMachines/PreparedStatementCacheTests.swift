import Testing

@testable import PGClient

/// Which statements a connection keeps prepared, and under which names, without a database.
@Suite("PreparedStatementCache, without a database")
struct PreparedStatementCacheTests {
    @Test func cachesOnlyQueriesMarkedPreparedAndOnlyWithACapacity() {
        let query: Query = "SELECT 1"
        #expect(!PreparedStatementCache(capacity: 4).caches(query))
        #expect(PreparedStatementCache(capacity: 4).caches(query.prepared()))
        #expect(!PreparedStatementCache(capacity: 0).caches(query.prepared()))
        #expect(!PreparedStatementCache(capacity: -3).caches(query.prepared()))
    }

    @Test func namesAreNeverReused() {
        var cache = PreparedStatementCache(capacity: 1)
        let names = (1...5).map { _ in cache.newName() }
        #expect(Set(names).count == 5)
        #expect(names.first == "offload_1")
    }

    @Test func evictsTheOldestAndReturnsItsNameToDeallocate() {
        var cache = PreparedStatementCache(capacity: 2)
        #expect(cache.add("A", name: "s1") == nil)
        #expect(cache.add("B", name: "s2") == nil)
        #expect(cache.add("C", name: "s3") == "s1")
        #expect(cache.name(for: "A") == nil)
        #expect(cache.name(for: "B") == "s2")
        #expect(cache.name(for: "C") == "s3")
        #expect(cache.add("D", name: "s4") == "s2")
    }

    /// The server lost a statement (DISCARD ALL) or its plan went stale (an altered table): the
    /// connection forgets it and prepares it afresh under a new name, which then ages like any other.
    @Test func aStaleStatementIsForgottenAndPreparedAgainUnderANewName() {
        var cache = PreparedStatementCache(capacity: 2)
        _ = cache.add("A", name: cache.newName())
        _ = cache.add("B", name: cache.newName())
        cache.remove("A")
        #expect(cache.name(for: "A") == nil)
        let fresh = cache.newName()
        #expect(fresh == "offload_3")
        #expect(cache.add("A", name: fresh) == nil)  // removing it made room
        #expect(cache.name(for: "A") == "offload_3")
        // "B" is now the oldest: the next statement pushes it out, not the re-prepared "A".
        #expect(cache.add("C", name: cache.newName()) == "offload_2")
        #expect(cache.name(for: "A") == "offload_3")
    }

    @Test func removingAnUnknownStatementChangesNothing() {
        var cache = PreparedStatementCache(capacity: 1)
        _ = cache.add("A", name: "s1")
        cache.remove("B")
        #expect(cache.name(for: "A") == "s1")
        #expect(cache.add("B", name: "s2") == "s1")
    }
}
