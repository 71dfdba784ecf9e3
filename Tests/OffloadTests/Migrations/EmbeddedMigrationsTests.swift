import Foundation
import Testing

@testable import Offload

/// `Migration.embedded` must be exactly `Migrations/*.sql`; if this fails, run
/// `scripts/embed-migrations.sh` and commit the result.
@Suite struct EmbeddedMigrationsTests {
    @Test func embeddedMigrationsEqualTheFiles() throws {
        let files = try Self.migrationFiles()
        #expect(!files.isEmpty)
        #expect(
            Migration.embedded.map(\.version) == files.map(\.version),
            "Migration.embedded is stale: run scripts/embed-migrations.sh"
        )
        // Compared by checksum, so a failure names the file instead of printing both texts.
        for (embedded, file) in zip(Migration.embedded, files) {
            #expect(
                embedded.name == file.name, "migration \(file.version) was renamed: run scripts/embed-migrations.sh")
            #expect(
                embedded.checksum == file.checksum,
                "Migrations/\(String(format: "%04d", file.version))_\(file.name).sql changed: run scripts/embed-migrations.sh"
            )
        }
    }

    @Test func versionsStartAtOneAndIncrease() {
        let versions = Migration.embedded.map(\.version)
        #expect(versions.first == 1)
        #expect(versions == versions.sorted() && Set(versions).count == versions.count)
    }

    /// What the migrator records is what `sha256sum Migrations/NNNN_name.sql` prints.
    @Test func checksumIsTheFilesDigest() throws {
        let root = try Self.repositoryRoot()
        let first = try #require(Migration.embedded.first)
        let url = root.appending(path: "Migrations/\(String(format: "%04d", first.version))_\(first.name).sql")
        let bytes = try Data(contentsOf: url)
        #expect(first.checksum == SHA256.hex(bytes))
        #expect(first.checksum.count == 64)
    }

    /// `Migrations/NNNN_name.sql`, in version order, read byte for byte.
    static func migrationFiles() throws -> [Migration] {
        let directory = try repositoryRoot().appending(path: "Migrations")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path(percentEncoded: false))
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        return try names.map { fileName in
            let stem = fileName.dropLast(".sql".count)
            let parts = stem.split(separator: "_", maxSplits: 1)
            let version = try #require(parts.count == 2 ? Int(parts[0]) : nil, "bad migration file name \(fileName)")
            let bytes = try Data(contentsOf: directory.appending(path: fileName))
            return Migration(version: version, name: String(parts[1]), sql: String(decoding: bytes, as: UTF8.self))
        }
    }

    /// The checkout this test file lives in: the nearest ancestor with a `Migrations` folder and a
    /// `Package.swift`.
    static func repositoryRoot(filePath: String = #filePath) throws -> URL {
        var directory = URL(filePath: filePath).deletingLastPathComponent()
        while directory.path(percentEncoded: false) != "/" {
            let migrations = directory.appending(path: "Migrations").path(percentEncoded: false)
            let manifest = directory.appending(path: "Package.swift").path(percentEncoded: false)
            if FileManager.default.fileExists(atPath: migrations) && FileManager.default.fileExists(atPath: manifest) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        throw RepositoryNotFound(filePath: filePath)
    }

    struct RepositoryNotFound: Error, CustomStringConvertible {
        let filePath: String
        var description: String { "no ancestor of \(filePath) has Migrations/ and Package.swift" }
    }
}
