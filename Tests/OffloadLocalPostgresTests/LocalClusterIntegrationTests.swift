import Foundation
import Testing

@testable import OffloadLocalPostgres

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Starts real PostgreSQL servers in throwaway folders. As root this goes through
/// `runuser` and the `postgres` user, as `make test` does on CI.
@Suite("LocalCluster lifecycle", .serialized)
struct LocalClusterIntegrationTests {
    @Test(.timeLimit(.minutes(1)))
    func startConnectRestartStop() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let cluster = LocalCluster(directory: folder.path + "/pg", port: try LocalCluster.freePort())
        let binaries = try await PostgresBinaries.find()
        do {
            try await exercise(cluster, binaries)
        } catch {
            _ = try? await cluster.stop(binaries: binaries)  // never leave a server behind
            throw error
        }
    }

    private func exercise(_ cluster: LocalCluster, _ binaries: PostgresBinaries) async throws {
        #expect(try await cluster.status(binaries: binaries).isInitialized == false)

        let first = try await cluster.start(binaries: binaries)
        #expect(first.created)
        #expect(!first.wasRunning)
        #expect(first.url == "postgresql://postgres@127.0.0.1:\(cluster.port)/postgres")

        let psql = try #require(binaries.psql)
        let query = try await Subprocess.run(
            psql, ["-X", "-At", first.url, "-c", "select 1"], environment: ServerAccount.cleanEnvironment())
        #expect(query.succeeded, "\(query.output)")
        #expect(query.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1")

        let second = try await cluster.start(binaries: binaries)
        #expect(second.wasRunning)
        #expect(!second.created)
        #expect(second.url == first.url)

        let running = try await cluster.status(binaries: binaries)
        #expect(running.isRunning)
        #expect(cluster.recordedPort == cluster.port)

        #expect(try await cluster.stop(binaries: binaries))
        #expect(try await cluster.stop(binaries: binaries) == false)  // harmless when stopped
        #expect(try await cluster.status(binaries: binaries).isRunning == false)
    }

    /// PostgreSQL runs as another user when we are root; a folder that user cannot reach (root's home,
    /// a `mktemp -d` folder: mode 700) moves the cluster to /var/tmp, where every later command finds
    /// it, and nothing is created in the folder asked for.
    @Test(.enabled(if: geteuid() == 0, "only root switches users"), .timeLimit(.minutes(2)))
    func anUnreachableFolderMovesTheClusterWhereTheServersUserCanRunIt() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let locked = folder.path + "/locked"
        try FileManager.default.createDirectory(
            atPath: locked, withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o700])
        let asked = try LocalCluster.resolve(directory: locked + "/pg", port: try LocalCluster.freePort())
        let cluster = try await asked.placed()
        #expect(cluster.requestedDirectory == asked.directory)
        #expect(cluster.directory == "/var/tmp/" + LocalCluster.fallbackName(for: asked.directory))
        let binaries = try await PostgresBinaries.find()
        do {
            let started = try await cluster.start(binaries: binaries)
            let psql = try #require(binaries.psql)
            let query = try await Subprocess.run(
                psql, ["-X", "-At", started.url, "-c", "select 1"], environment: ServerAccount.cleanEnvironment())
            #expect(query.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(query.output)")

            // Found again by a later command, and reported running there.
            let again = try await asked.placed()
            #expect(again.directory == cluster.directory)
            #expect(try await again.status(binaries: binaries).isRunning)

            #expect(try await again.destroy(binaries: binaries))
        } catch {
            _ = try? await cluster.destroy(binaries: binaries)
            throw error
        }
        #expect(!FileManager.default.fileExists(atPath: cluster.directory))
        #expect(!FileManager.default.fileExists(atPath: asked.directory))
    }

    /// `destroy` deletes a cluster's folder and nothing that isn't one.
    @Test func destroyRefusesAFolderThatHoldsNoCluster() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "keep me".write(toFile: folder.path + "/notes.txt", atomically: true, encoding: .utf8)
        let cluster = LocalCluster(directory: folder.path, port: 1)
        await #expect(throws: LocalClusterError.self) { try await cluster.destroy() }
        #expect(FileManager.default.fileExists(atPath: folder.path + "/notes.txt"))
        #expect(try await LocalCluster(directory: folder.path + "/none", port: 1).destroy() == false)
    }
}

/// A folder under /tmp (short, so socket paths fit; traversable by the server user).
struct TemporaryFolder {
    let path: String

    init() throws {
        path = "/tmp/offload-test-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o755])
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
