import Foundation
import PGClient
import Synchronization
import Testing

@Suite("Connection pool")
struct ConnectionPoolTests {
    @Test func fiftyTasksShareFiveConnections() async throws {
        try await TestDatabase.with { configuration in
            let pool = ConnectionPool(configuration, maxConnections: 5)
            let mostOpen = HighWaterMark()
            let backends = try await withThrowingTaskGroup(of: Int32.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            mostOpen.max(pool.openConnections)
                            // pg_sleep holds the connection a moment, so that the fifty borrowers overlap.
                            let echoed = try await connection.query("SELECT \(index)::int AS n, pg_sleep(0.01)")
                            #expect(try echoed.single(Int.self, "n") == index)
                            return connection.backendPID
                        }
                    }
                }
                return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
            }
            #expect(backends.count <= 5)
            #expect(mostOpen.value <= 5)
            let serverSide = try await pool.query(
                """
                SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()
                """
            ).single(Int.self, "n")
            #expect(serverSide <= 5)
        }
    }

    @Test func waitingForAFreeConnectionTimesOutClearly() async throws {
        try await TestDatabase.with { configuration in
            let pool = ConnectionPool(configuration, maxConnections: 1, acquireTimeout: .milliseconds(200))
            let holding = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await pool.withConnection { _ in
                    holding.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            for await _ in holding.stream { break }
            let error = try await #require(throws: PGError.self) { try await pool.query("SELECT 1") }
            #expect(error.code == .poolTimeout)
            release.continuation.yield()
            try await holder.value
            #expect(try await pool.query("SELECT 1 AS one").single(Int.self, "one") == 1)
        }
    }

    @Test func terminatedConnectionIsReplacedByAFreshOne() async throws {
        try await TestDatabase.with { configuration in
            let pool = ConnectionPool(configuration, maxConnections: 1)
            let firstPID = try await pool.withConnection { $0.backendPID }
            let admin = try await Connection.connect(configuration)
            // With a timeout, pg_terminate_backend returns once the backend has exited ("waits until
            // the process is actually terminated", PostgreSQL 14 and later). The backend sends its
            // termination notice before it exits, so the pooled connection has it waiting by then.
            let terminated = try await admin.query("SELECT pg_terminate_backend(\(firstPID), 60000) AS ok").single(
                Bool.self, "ok")
            try #require(terminated)
            let (pid, one) = try await pool.withConnection { connection in
                (connection.backendPID, try await connection.query("SELECT 1 AS one").single(Int.self, "one"))
            }
            #expect(one == 1)
            #expect(pid != firstPID)
        }
    }
}

/// The largest value seen, shared between tasks.
final class HighWaterMark: Sendable {
    private let highest = Mutex(0)
    var value: Int { highest.withLock { $0 } }
    func max(_ candidate: Int) { highest.withLock { $0 = Swift.max($0, candidate) } }
}

@Suite("Borrowed connections run their borrower's code on the connection's queue")
struct ConnectionExecutorTests {
    /// The borrower's code runs on the connection's queue (its task executor). Waiting inside it for
    /// a sleep, another pool's connection, or another task using the same connection must neither
    /// deadlock nor mix up statements: every transaction's rows arrive, each exactly once.
    @Test func borrowersThatWaitOnOtherThingsStillFinishCorrectly() async throws {
        try await TestDatabase.with { configuration in
            let pool = ConnectionPool(configuration, maxConnections: 4)
            let otherPool = ConnectionPool(configuration, maxConnections: 2)
            try await pool.execute("CREATE TABLE things (borrower int, step int)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for borrower in 0..<40 {
                    group.addTask {
                        try await pool.transaction { connection in
                            try await connection.execute("INSERT INTO things VALUES (\(borrower), 1)")
                            // Not a wait: a suspension of its own (0 to 2 ms) while holding the connection.
                            try await Task.sleep(for: .milliseconds(borrower % 3))
                            // Another connection, while this one is held.
                            _ = try await otherPool.query("SELECT count(*) AS n FROM things")
                            let other = Task {
                                try await connection.query("SELECT \(borrower)::int AS b").single(Int.self, "b")
                            }
                            #expect(try await other.value == borrower)
                            try await connection.execute("INSERT INTO things VALUES (\(borrower), 2)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await pool.query(
                "SELECT borrower, count(*) AS n FROM things GROUP BY borrower ORDER BY borrower"
            ).rows
            #expect(rows.count == 40)
            #expect(try rows.allSatisfy { try $0.decode(Int.self, "n") == 2 })
        }
    }
}
