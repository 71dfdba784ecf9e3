import Foundation
import PGClient
import Testing

@Suite("Connections, errors and transactions")
struct ConnectionTests {
    @Test func badSQLThrowsWithSQLState() async throws {
        try await TestDatabase.with { configuration in
            let connection = try await Connection.connect(configuration)
            let error = try await #require(throws: PGError.self) { try await connection.query("SELEC 1") }
            #expect(error.code == .server)
            #expect(error.sqlState == .syntaxError)
            // The connection is still usable afterwards.
            #expect(try await connection.query("SELECT 1 AS one").single(Int.self, "one") == 1)
        }
    }

    /// A refused connection is an error at once (the connect timeout bounds it anyway), never a hang.
    @Test func closedPortFailsAndHidesThePassword() async throws {
        let configuration = ConnectionConfiguration(
            "postgres://someone:topsecret@127.0.0.1:1/nothing", connectTimeoutSeconds: 5
        )
        let error = try await #require(throws: PGError.self) { try await Connection.connect(configuration) }
        #expect(error.code == .connectionFailed)
        #expect(error.description.contains("127.0.0.1"))
        #expect(!error.description.contains("topsecret"))
        #expect(configuration.redactedTarget == "postgres://someone:***@127.0.0.1:1/nothing")
    }

    @Test func thrownErrorRollsBackTheTransaction() async throws {
        struct Boom: Error {}
        try await TestDatabase.with { configuration in
            let pool = ConnectionPool(configuration, maxConnections: 2)
            try await pool.execute("CREATE TABLE things (id int)")
            await #expect(throws: Boom.self) {
                try await pool.transaction { connection in
                    try await connection.execute("INSERT INTO things VALUES (1)")
                    throw Boom()
                }
            }
            try await pool.transaction { connection in
                try await connection.execute("INSERT INTO things VALUES (2)")
            }
            let ids = try await pool.query("SELECT id FROM things").rows.map { try $0.decode(Int.self, "id") }
            #expect(ids == [2])
        }
    }

    @Test func cancelledTaskRollsBackTheTransaction() async throws {
        try await TestDatabase.with { configuration in
            let pool = ConnectionPool(configuration, maxConnections: 2)
            try await pool.execute("CREATE TABLE things (id int)")
            let inserted = AsyncStream<Void>.makeStream()
            let task = Task {
                try await pool.transaction { connection in
                    try await connection.execute("INSERT INTO things VALUES (1)")
                    inserted.continuation.yield()
                    // A long statement that cancellation interrupts on the server.
                    try await connection.execute("SELECT pg_sleep(30)")
                }
            }
            for await _ in inserted.stream { break }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(try await pool.query("SELECT count(*) AS n FROM things").single(Int.self, "n") == 0)
        }
    }

    @Test func notifyReachesAListenerOnAnotherConnection() async throws {
        try await TestDatabase.with { configuration in
            let listener = NotificationListener(configuration, channels: ["offload_test"])
            var events = listener.events().makeAsyncIterator()
            #expect(await events.next() == .listening)
            let sender = try await Connection.connect(configuration)
            try await sender.execute("SELECT pg_notify('offload_test', \("payload ✓"))")
            #expect(await events.next() == .notification(channel: "offload_test", payload: "payload ✓"))
            listener.stop()
        }
    }

    @Test func listenerListensAgainAfterItsConnectionIsTerminated() async throws {
        try await TestDatabase.with { configuration in
            let listener = NotificationListener(configuration, channels: ["offload_test"])
            var events = listener.events().makeAsyncIterator()
            #expect(await events.next() == .listening)
            let admin = try await Connection.connect(configuration)
            try await admin.execute(
                """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE pid <> pg_backend_pid() AND datname = current_database()
                """)
            #expect(await events.next() == .listening)
            let sender = try await Connection.connect(configuration)
            try await sender.execute("NOTIFY offload_test, 'again'")
            #expect(await events.next() == .notification(channel: "offload_test", payload: "again"))
            listener.stop()
        }
    }
}
