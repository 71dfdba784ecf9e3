import Foundation
import OffloadTestKit
import PGClient
import Synchronization
import Testing

@testable import Offload

/// Claim floors (migration 11): a claim reads its range from a floor that the maintenance leader
/// raises, so the index entries of jobs claimed while vacuum was held back cost it nothing; and a
/// floor never passes a job that can still be claimed.
@Suite("Claim floors")
struct ClaimFloorTests {
    /// Raises the floors (ticks on one connection) until `done` holds, for at most a generous while:
    /// other tests' transactions on the same server hold xids that keep a bound back for a moment.
    private func raiseFloors(
        _ pool: ConnectionPool, thorough: Bool = false, until done: @escaping (ConnectionPool) async throws -> Bool
    ) async throws {
        try await pool.withConnection { connection in
            var floors = ClaimFloors()
            let rose = try await eventually {
                _ = try await floors.tick(on: connection, thorough: thorough)
                return try await done(pool)
            }
            #expect(rose, "the floors did not rise")
        }
    }

    private func floor(_ pool: ConnectionPool, priority: Int = 0) async throws -> String? {
        try await pool.query(
            """
            SELECT floor::text AS floor FROM offload.claim_floors WHERE queue = 'default' AND priority = \(priority)
            """
        ).rows.first?.decode(String.self, "floor")
    }

    /// Claims up to `limit` jobs of the default queue and marks them completed; returns their ids.
    @discardableResult
    private func claimAndComplete(_ pool: ConnectionPool, limit: Int = 1_000) async throws -> [Int64] {
        let ids = try await pool.query("SELECT id FROM offload.claim('default', \(limit), 'w', 60)").rows
            .map { try $0.decode(Int64.self, "id") }
        try await pool.execute(
            "UPDATE offload.jobs SET state = 'completed', finished_at = now() WHERE id = ANY(\(ids)::bigint[])")
        return ids
    }

    /// The buffers one claim of the default queue touches (its EXPLAIN, rolled back).
    private func claimBuffers(_ connection: Connection) async throws -> (claimed: Int, buffers: Int) {
        try await connection.transaction { connection in
            let plan = try await connection.query(
                """
                EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM offload.claim('default', 100, 'w', 60)
                """
            ).single(String.self, "QUERY PLAN")
            let node = try #require(
                (try JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]])?.first?["Plan"]
                    as? [String: Any])
            try await connection.execute("ROLLBACK")
            try await connection.execute("BEGIN")
            return (
                node["Actual Rows"] as? Int ?? -1,
                (node["Shared Hit Blocks"] as? Int ?? 0) + (node["Shared Read Blocks"] as? Int ?? 0)
            )
        }
    }

    /// While a transaction holds back vacuum, 20,000 claimed jobs leave entries at the front of the claim
    /// index that no scan can mark dead. From its floor a claim touches a few dozen buffers; from the
    /// start (the floor put back) it visits every one of those entries. Counted by PostgreSQL, not timed.
    @Test func underAHeldXminAClaimReadsFromItsFloorNotFromTheStart() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            try await pool.withConnection { holder in
                try await holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                _ = try await holder.query("SELECT count(*) AS n FROM offload.jobs")
                // With an xid, as a forgotten transaction that wrote elsewhere has: it holds back no
                // floor, since it holds no write lock on offload.jobs.
                _ = try await holder.query("SELECT txid_current() AS xid")

                try await pool.execute(
                    """
                    SELECT offload.enqueue_many(array_fill('greet'::text, ARRAY[20000]), array_fill('{}'::jsonb, ARRAY[20000]))
                    """)
                while try await !claimAndComplete(pool).isEmpty {}
                let lastRunAt = try await pool.query("SELECT max(run_at)::text AS t FROM offload.jobs").single(
                    String.self, "t")
                try await raiseFloors(pool) { pool in
                    try await pool.query(
                        """
                        SELECT floor > \(lastRunAt)::timestamptz AS risen FROM offload.claim_floors WHERE queue = 'default' AND priority = 0
                        """
                    ).single(Bool.self, "risen")
                }
                try await pool.execute(
                    """
                    SELECT offload.enqueue_many(array_fill('greet'::text, ARRAY[5]), array_fill('{}'::jsonb, ARRAY[5]))
                    """)

                let (fromFloor, fromStart) = try await pool.withConnection { connection in
                    _ = try await claimBuffers(connection)  // plans the function's statements (catalog reads)
                    let fromFloor = try await claimBuffers(connection)
                    try await connection.execute("UPDATE offload.claim_floors SET floor = '-infinity'")
                    let fromStart = try await claimBuffers(connection)
                    return (fromFloor, fromStart)
                }
                #expect(fromFloor.claimed == 5)
                #expect(fromStart.claimed == 5)
                #expect(fromFloor.buffers < 100, "from its floor the claim touched \(fromFloor.buffers) buffers")
                #expect(
                    fromStart.buffers > 4 * fromFloor.buffers,
                    "from the start: \(fromStart.buffers) buffers, from the floor: \(fromFloor.buffers)")
                try await holder.execute("ROLLBACK")
            }
        }
    }

    /// Writers that got their xid long before their job commits, backdated run_at values, batches and
    /// retries, while the floors rise every few milliseconds and a claimer runs: every job is claimed
    /// in the end. A floor that passed one job (say, one raised to the clock instead of to a sampled
    /// time that every running xid postdates) would leave it unclaimable, and the counts would differ.
    @Test func aFloorNeverPassesAJobThatCanStillBeClaimed() async throws {
        try await OffloadTestDatabase.with(maxConnections: 12) { pool async throws in
            let writers = 4
            let transactionsPerWriter = 25
            let claimed = Counter()
            let writing = Flag(true)
            // Ticks of the floors so far: writers wait on it to keep their transactions open across ticks.
            let ticks = Counter()
            // Set once a floor rose while the writers ran. Other tests' transactions on the same server
            // can hold the bound back for a while; the writers go on until it rose (or 3,000 rounds).
            let rose = Flag(false)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await pool.withConnection { connection in
                        var floors = ClaimFloors()
                        while writing.value {
                            _ = try await floors.tick(on: connection, thorough: false)
                            ticks.add(1)
                            if try await floor(pool) != "-infinity" { rose.set(true) }
                        }
                    }
                }
                group.addTask {
                    while writing.value {
                        claimed.add(try await claimAndComplete(pool, limit: 7).count)
                    }
                }
                try await withThrowingTaskGroup(of: Int.self) { writersGroup in
                    for _ in 0..<writers {
                        writersGroup.addTask {
                            var enqueued = 0
                            var round = 0
                            while round < transactionsPerWriter || (!rose.value && round < 3_000) {
                                defer { round += 1 }
                                enqueued += try await pool.transaction { connection in
                                    // An xid now; the floors rise at least once before the job is written …
                                    _ = try await connection.query("SELECT txid_current() AS xid")
                                    try await ticks.waitFor(ticks.value + 1)
                                    let count: Int
                                    switch round % 3 {
                                    case 0:
                                        try await connection.execute("SELECT offload.enqueue('greet', '{}')")
                                        count = 1
                                    case 1:
                                        try await connection.execute(
                                            "SELECT offload.enqueue('greet', '{}', run_at => '1970-01-01')")
                                        count = 1
                                    default:
                                        try await connection.execute(
                                            """
                                            SELECT offload.enqueue_many(ARRAY['greet', 'greet', 'greet'], ARRAY['{}', '{}', '{}']::jsonb[])
                                            """)
                                        count = 3
                                    }
                                    // … and twice more before it commits.
                                    try await ticks.waitFor(ticks.value + 2)
                                    return count
                                }
                            }
                            return enqueued
                        }
                    }
                    var total = 0
                    for try await enqueued in writersGroup { total += enqueued }
                    writing.set(false)
                    try await group.waitForAll()

                    // The floors rose while the writers ran (else this test proves nothing) …
                    #expect(rose.value, "the floors must have risen for this test to mean anything")
                    // … and passed no job: every one is claimable now.
                    while true {
                        let batch = try await claimAndComplete(pool).count
                        if batch == 0 { break }
                        claimed.add(batch)
                    }
                    #expect(claimed.value == total)
                    #expect(try await count(pool, "state <> 'completed'") == 0)
                }
            }
        }
    }

    /// A row written by hand (not through the API) can sit below a floor, or in a priority without a
    /// floor row: claims miss it until a thorough pass, which lowers the floor and adds the row.
    @Test func aThoroughPassFindsRowsWrittenByHand() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            try await pool.execute("SELECT offload.enqueue('greet', '{}')")
            try await claimAndComplete(pool)
            let lastRunAt = try await pool.query("SELECT max(run_at)::text AS t FROM offload.jobs").single(
                String.self, "t")
            try await raiseFloors(pool) { pool in
                try await pool.query(
                    """
                    SELECT floor > \(lastRunAt)::timestamptz AS risen FROM offload.claim_floors WHERE queue = 'default' AND priority = 0
                    """
                ).single(Bool.self, "risen")
            }
            try await pool.execute(
                """
                INSERT INTO offload.jobs (function, args, queue, priority, run_at)
                VALUES ('greet', '{}', 'default', 0, '2000-01-01'), ('greet', '{}', 'default', 7, now())
                """)
            #expect(try await claimAndComplete(pool).isEmpty)

            try await pool.withConnection { connection in
                var floors = ClaimFloors()
                let changed = try await eventually { try await floors.tick(on: connection, thorough: true) > 0 }
                #expect(changed)
            }
            #expect(try await claimAndComplete(pool).count == 2)
            #expect(try await floor(pool, priority: 7) != nil)
        }
    }
}

/// A count several tasks add to.
private final class Counter: Sendable {
    private let state = Mutex(0)
    func add(_ n: Int) { state.withLock { $0 += n } }
    var value: Int { state.withLock { $0 } }

    /// Waits until the count reaches `target` (the ticker only ever adds).
    func waitFor(_ target: Int) async throws {
        #expect(try await eventually { self.value >= target }, "the count stayed below \(target)")
    }
}

/// A flag one task sets and others read.
private final class Flag: Sendable {
    private let state: Mutex<Bool>
    init(_ value: Bool) { state = Mutex(value) }
    func set(_ value: Bool) { state.withLock { $0 = value } }
    var value: Bool { state.withLock { $0 } }
}
