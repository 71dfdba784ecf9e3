import Foundation
import Testing

@testable import OffloadLocalPostgres

@Suite("PostgresBinaries")
struct PostgresBinariesTests {
    @Test func versionFoldersSortNumericallyNewestFirst() {
        let sorted = PostgresBinaries.versionsNewestFirst(["9.6", "15", "README", "16", "10", "9.5"])
        #expect(sorted == ["16", "15", "10", "9.6", "9.5"])
    }

    /// `make test` installs the server first (scripts/install-deps.sh), so this must find it.
    @Test func findsTheServerProgramsOnThisMachine() async throws {
        let binaries = try await PostgresBinaries.find()
        #expect(FileManager.default.isExecutableFile(atPath: binaries.initdb))
        #expect(FileManager.default.isExecutableFile(atPath: binaries.pgCtl))
        #expect(binaries.psql != nil)
    }

    @Test func aWrongOverrideIsReportedNotIgnored() async {
        await #expect(throws: LocalClusterError.self) {
            try await PostgresBinaries.find(environment: ["OFFLOAD_PG_BINDIR": "/nonexistent", "PATH": "/bin"])
        }
    }
}
