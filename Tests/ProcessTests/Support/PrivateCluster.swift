import Foundation
import PGClient

@testable import OffloadCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        let port = try freePort()
        let base = ProcessInfo.processInfo.environment["OFFLOAD_TEST_DIR"].map {
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

    /// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
    static func freePort() throws -> Int {
        #if os(Linux)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw PGError(.connectionFailed, "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw PGError(.connectionFailed, "bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw PGError(.connectionFailed, "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
