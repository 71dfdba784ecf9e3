import Testing

@testable import PGClient

/// Issue 13, finding 9: passwords are redacted in every form libpq accepts, and scrubbed from the
/// messages that echo them.
@Suite("Password redaction")
struct RedactionTests {
    @Test(arguments: [
        // conninfo
        ("host=db password=s3cret user=app", "host=db password=*** user=app"),
        (#"host=db password=ab\ TOPSECRET user=app"#, "host=db password=*** user=app"),
        (#"host=db password='it\'s TOP SECRET' user=app"#, "host=db password=*** user=app"),
        (#"host=db password = 'back\\slash' dbname=x"#, "host=db password = *** dbname=x"),
        ("host=db password=ab TOPSECRET", "host=db password=***"),
        ("host=db password=ab TOPSECRET user=app", "host=db password=*** user=app"),
        ("host=db sslpassword=keypass", "host=db sslpassword=***"),
        ("host=db password=", "host=db password=***"),
        ("host=db password='unterminated", "host=db password=***"),
        // URLs
        ("postgres://app:s3cret@db:5432/x", "postgres://app:***@db:5432/x"),
        ("postgresql://app:p@ss@TOPSECRET@db/x", "postgresql://app:***@db/x"),
        ("postgresql://app:pa/ss@db/x", "postgresql://app:***@db/x"),
        ("postgresql://app:pa?ss@db/x?sslmode=require", "postgresql://app:***@db/x?sslmode=require"),
        ("postgresql://app:Sekr%40t@db/x", "postgresql://app:***@db/x"),
        ("postgres://db/x?password=s3cret&sslmode=off", "postgres://db/x?password=***&sslmode=off"),
        ("postgres://db/x?sslmode=off&pass%77ord=s3cret", "postgres://db/x?sslmode=off&pass%77ord=***"),
        ("postgres://app:a@db/x?password=b", "postgres://app:***@db/x?password=***"),
        ("postgres://db/x?user=a@b&password=c", "postgres://db/x?user=a@b&password=***"),
        ("postgres://app@db/x", "postgres://app@db/x"),
        ("postgres://db:5432/x", "postgres://db:5432/x"),
    ])
    func redacts(target: String, expected: String) {
        #expect(ConnectionConfiguration.redact(target) == expected)
    }

    @Test(arguments: [
        // libpq splits at the first @: the host it cannot resolve is the password's tail.
        ("postgresql://app:pa@TOPSECRET@db/x", #"could not translate host name "TOPSECRET@db" to address"#),
        ("postgresql://app:pa%40ss@TOPSECRET@db/x", #"could not translate host name "TOPSECRET@db""#),
        (#"host=db password=ab\ TOPSECRET"#, "password ab TOPSECRET rejected"),
        ("host=db password=ab TOPSECRET", #"missing "=" after "TOPSECRET" in connection info string"#),
        (#"host=db password='x TOPSECRET\'s'"#, "x TOPSECRET's"),
        (
            "postgres://db/x?password=TOPSECRET=1",
            #"extra key/value separator "=" in URI query parameter: "password=TOPSECRET=1""#
        ),
        ("postgres://db/x?password=TOP%53ECRET", "TOPSECRET"),
    ])
    func scrubsMessages(target: String, message: String) {
        let scrubbed = ConnectionConfiguration(target).scrub(message)
        #expect(!scrubbed.contains("TOPSECRET"), "\(scrubbed)")
        #expect(!scrubbed.contains("TOP%53ECRET"), "\(scrubbed)")
        #expect(scrubbed.contains("***"), "\(scrubbed)")
    }
}
