import PGClient
import Testing

@Suite("ConnectionConfiguration.resolvedTarget")
struct ConnectionConfigurationTargetTests {
    @Test func withoutOverrideIsTheTarget() {
        #expect(ConnectionConfiguration("postgres://app@db/x").resolvedTarget == "postgres://app@db/x")
        #expect(ConnectionConfiguration("host=db user=app").resolvedTarget == "host=db user=app")
    }

    @Test func urlGetsADbnameQueryParameter() {
        let plain = ConnectionConfiguration("postgresql://app:s3cret@db:5432/postgres").withDatabase("offload_test_1")
        #expect(plain.resolvedTarget == "postgresql://app:s3cret@db:5432/postgres?dbname=offload_test_1")
        let withQuery = ConnectionConfiguration("postgres://db/x?sslmode=disable").withDatabase("y")
        #expect(withQuery.resolvedTarget == "postgres://db/x?sslmode=disable&dbname=y")
        let odd = ConnectionConfiguration("postgres://db/x?").withDatabase("a b/ü")
        #expect(odd.resolvedTarget == "postgres://db/x?dbname=a%20b%2F%C3%BC")
    }

    @Test func conninfoGetsATrailingQuotedDbname() {
        #expect(ConnectionConfiguration("host=db user=app ").withDatabase("it's").resolvedTarget
            == #"host=db user=app dbname='it\'s'"#)
        #expect(ConnectionConfiguration("").withDatabase("x").resolvedTarget == "dbname='x'")
    }

    /// libpq really connects to the overriding database, for both forms.
    @Test func libpqConnectsToTheOverridingDatabase() async throws {
        try await TestDatabase.with { configuration in
            let name = try #require(configuration.database)
            let resolved = ConnectionConfiguration(configuration.resolvedTarget)
            #expect(resolved.database == nil)
            let connection = try await Connection.connect(resolved)
            #expect(try await connection.query("SELECT current_database() AS db").single(String.self, "db") == name)
        }
    }
}
