import Foundation
import OffloadLocalPostgres
import PGClient

/// A PostgreSQL cluster of a test's own, for what must not touch the shared test server: restarting
/// it (the chaos run) or changing its authentication rules (wrong passwords).
struct PrivateCluster {
    let cluster: LocalCluster
    let url: String

    var configuration: ConnectionConfiguration { ConnectionConfiguration(url) }

    /// Creates and starts a fresh cluster in `.offload/<name>-<port>` (next to the test cluster) on a
    /// free port; nil when the server programs are not installed.
    static func start(_ name: String) async throws -> PrivateCluster? {
        guard let binaries = try? await PostgresBinaries.find() else { return nil }
        let port = try LocalCluster.freePort()
        let base =
            ProcessInfo.processInfo.environment["OFFLOAD_TEST_DIR"].map {
                URL(fileURLWithPath: $0).deletingLastPathComponent().path
            } ?? ".offload"
        var cluster = try await LocalCluster.resolve(directory: "\(base)/\(name)-\(port)", port: port).placed()
        cluster.isEphemeral = true
        try? FileManager.default.removeItem(atPath: cluster.directory)
        let outcome = try await cluster.start(binaries: binaries, timeout: .seconds(60))
        return PrivateCluster(cluster: cluster, url: outcome.url)
    }

    /// Stops the server and deletes the cluster.
    func stop() async {
        _ = try? await cluster.stop()
        try? FileManager.default.removeItem(atPath: cluster.directory)
    }

    /// Puts `line` first in pg_hba.conf and reloads the configuration.
    func prependAuthenticationRule(_ line: String) async throws {
        let path = cluster.dataDirectory + "/pg_hba.conf"
        let current = try String(contentsOfFile: path, encoding: .utf8)
        try (line + "\n" + current).write(toFile: path, atomically: false, encoding: .utf8)
        let connection = try await Connection.connect(configuration)
        try await connection.execute("SELECT pg_reload_conf()")
    }
}
