import PGClient
import Testing

@testable import OffloadCLI

/// The message for a failed connection: names the server without its password, says where the
/// address came from, and suggests what to check.
@Suite("Connection failure messages")
struct ConnectionMessageTests {
    @Test func wrongPassword() {
        let target = ConnectionConfiguration.redact("postgresql://app:s3cret-pw@db.internal:5432/app")
        let error = PGError(
            .connectionFailed,
            "cannot connect to PostgreSQL: connection to server at \"db.internal\" (10.0.0.5), port 5432 failed: FATAL:  password authentication failed for user \"app\"\n"
        )
        let message = DatabaseOptions.connectionMessage(error, target: target, source: "DATABASE_URL")
        #expect(
            message == """
                cannot connect to PostgreSQL at postgresql://app:***@db.internal:5432/app (from DATABASE_URL):
                  connection to server at "db.internal" (10.0.0.5), port 5432 failed: FATAL:  password authentication failed for user "app"
                hint: check the user name and password in DATABASE_URL
                """)
        #expect(!message.contains("s3cret-pw"))
    }

    @Test func refusedConnectionKeepsLibpqsSecondLine() {
        let error = PGError(
            .connectionFailed,
            "cannot connect to PostgreSQL: connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n"
        )
        let message = DatabaseOptions.connectionMessage(
            error, target: "host=127.0.0.1 port=1 password=***", source: "--database-url")
        #expect(
            message == """
                cannot connect to PostgreSQL at host=127.0.0.1 port=1 password=*** (from --database-url):
                  connection to server at "127.0.0.1", port 1 failed: Connection refused
                  Is the server running on that host and accepting TCP/IP connections?
                hint: is PostgreSQL running there? `offload local start` runs one for development
                """)
    }

    @Test func unknownReasonsGetNoHint() {
        let error = PGError(.connectionFailed, "cannot connect to PostgreSQL: something new")
        let message = DatabaseOptions.connectionMessage(error, target: "postgres://db/x", source: "DATABASE_URL")
        #expect(message == "cannot connect to PostgreSQL at postgres://db/x (from DATABASE_URL):\n  something new")
    }
}
