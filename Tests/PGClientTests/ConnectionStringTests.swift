import Foundation
import Testing

@testable import PGClient

@Suite("Connection strings: rewriting and keeping passwords out of messages")
struct ConnectionStringTests {
    @Test func urlGetsAnotherDatabaseUserAndPassword() {
        let configuration = ConnectionConfiguration("postgresql://app@db.example:5433/app?sslmode=require")
            .withDatabase("other db")
        #expect(configuration.connectionString() == "postgresql://app@db.example:5433/other%20db?sslmode=require")
        #expect(
            configuration.connectionString(user: "enqueuer", password: "p@ss:w/rd")
                == "postgresql://enqueuer:p%40ss%3Aw%2Frd@db.example:5433/other%20db?sslmode=require")
    }

    @Test func conninfoGetsKeywordsAppended() {
        let configuration = ConnectionConfiguration("host=db port=5433 dbname=app").withDatabase("it's")
        #expect(configuration.connectionString(user: "u") == #"host=db port=5433 dbname=app dbname='it\'s' user='u'"#)
        #expect(ConnectionConfiguration("host=db").connectionString() == "host=db")
    }

    @Test(arguments: [
        ("postgress://app:Sekr1t-pw@db/app", #"FATAL: database "postgress://app:Sekr1t-pw@db/app" does not exist"#),
        ("postgresql://app:Sekr%21t-pw@db/app", "echo of Sekr!t-pw decoded"),
        ("host=db password='Sekr1t pw' dbname=app", "something about Sekr1t pw"),
        ("host=db password=Sekr1t-pw dbname=app", "password Sekr1t-pw leaked"),
    ])
    func passwordsAreScrubbedFromMessages(target: String, message: String) {
        let scrubbed = ConnectionConfiguration(target).scrub(message)
        #expect(!scrubbed.contains("Sekr1t"), "\(scrubbed)")
        #expect(!scrubbed.contains("Sekr!t"), "\(scrubbed)")
        #expect(scrubbed.contains("***"), "\(scrubbed)")
    }

    @Test func messagesWithoutSecretsAreUnchanged() {
        let message = #"connection to server at "127.0.0.1", port 1 failed: Connection refused"#
        #expect(ConnectionConfiguration("postgresql://app@db/app").scrub(message) == message)
    }
}
