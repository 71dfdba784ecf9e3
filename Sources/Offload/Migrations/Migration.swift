/// One forward-only schema migration: a numbered SQL file from `Migrations/`.
///
/// The files are the source of truth; `scripts/embed-migrations.sh` copies them into
/// ``Migration/embedded`` (SwiftPM can't take a top-level folder as a resource), and a test fails
/// when the two drift apart. The migrator runs each one in its own transaction and records its
/// ``checksum``, so a file changed after it was applied is detected instead of silently ignored.
public struct Migration: Sendable, Equatable {
    /// The number in the file name (`0002_functions.sql` is version 2). Versions apply in order.
    public let version: Int
    /// The rest of the file name, without the extension (`functions`).
    public let name: String
    /// The file's contents, byte for byte.
    public let sql: String

    /// A migration; the embedded ones come from ``embedded``.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// The SHA-256 of ``sql``'s UTF-8 bytes, as 64 lower-case hexadecimal digits (the same as
    /// `sha256sum` prints for the file).
    public var checksum: String {
        SHA256.hex(sql.utf8)
    }
}
