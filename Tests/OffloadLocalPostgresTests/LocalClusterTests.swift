import Foundation
import Testing

@testable import OffloadLocalPostgres

@Suite("LocalCluster configuration")
struct LocalClusterTests {
    @Test func defaultsLiveUnderTheCurrentDirectory() throws {
        let cluster = try LocalCluster.resolve(environment: [:], currentDirectory: "/srv/app")
        #expect(cluster.directory == "/srv/app/.offload/postgres")
        #expect(cluster.port == 54329)
        #expect(cluster.dataDirectory == "/srv/app/.offload/postgres/data")
        #expect(cluster.socketDirectory == "/srv/app/.offload/postgres/run")
        #expect(cluster.logFile == "/srv/app/.offload/postgres/postgres.log")
    }

    @Test func flagsBeatEnvironmentWhichBeatsDefaults() throws {
        let environment = ["OFFLOAD_LOCAL_DIR": "/var/tmp/env-pg", "OFFLOAD_LOCAL_PORT": "6000"]
        let fromEnvironment = try LocalCluster.resolve(environment: environment, currentDirectory: "/srv/app")
        #expect(fromEnvironment.directory == "/var/tmp/env-pg")
        #expect(fromEnvironment.port == 6000)

        let fromFlags = try LocalCluster.resolve(
            directory: "db/pg", port: 7000, environment: environment, currentDirectory: "/srv/app")
        #expect(fromFlags.directory == "/srv/app/db/pg")
        #expect(fromFlags.port == 7000)
    }

    @Test func relativePathsAreNormalised() throws {
        let cluster = try LocalCluster.resolve(
            directory: "../other/./pg", environment: [:], currentDirectory: "/srv/app")
        #expect(cluster.directory == "/srv/other/pg")
    }

    @Test func badPortsAreRejectedWithTheirSource() {
        #expect(throws: LocalClusterError.self) {
            try LocalCluster.resolve(environment: ["OFFLOAD_LOCAL_PORT": "five"], currentDirectory: "/")
        }
        do {
            _ = try LocalCluster.resolve(port: 70000, environment: [:], currentDirectory: "/")
            Issue.record("port 70000 was accepted")
        } catch let error as LocalClusterError {
            #expect(error.code == .invalidSetting)
            #expect(error.description.contains("70000"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func urlNamesSuperuserLoopbackPortAndDatabase() {
        let cluster = LocalCluster(directory: "/tmp/pg", port: 54329)
        #expect(cluster.url() == "postgresql://postgres@127.0.0.1:54329/postgres")
        #expect(cluster.url(port: 6543) == "postgresql://postgres@127.0.0.1:6543/postgres")
    }

    @Test func portComesFromLineFourOfPostmasterPID() {
        let pidFile = "4242\n/tmp/pg/data\n1732850000\n55555\n/tmp/pg/run\n127.0.0.1\n  1234 5678\nready   \n"
        #expect(LocalCluster.port(fromPostmasterPID: pidFile) == 55555)
        #expect(LocalCluster.port(fromPostmasterPID: "4242\n/tmp/pg/data\n") == nil)
    }

    @Test func settingsPinAddressPortAndPrivateSocket() {
        let cluster = LocalCluster(directory: "/tmp/it's here", port: 54329)
        let settings = cluster.settings(port: 61000)
        #expect(settings.contains("listen_addresses = '127.0.0.1'"))
        #expect(settings.contains("port = 61000"))
        #expect(settings.contains("unix_socket_directories = '/tmp/it''s here/run'"))
        #expect(settings.contains("max_connections = 1000"))
        #expect(!settings.contains("fsync"))  // durability stays at PostgreSQL's defaults
    }

    @Test func socketIsDroppedWhenItsPathIsTooLong() {
        let deep = "/tmp/" + String(repeating: "d", count: 100)
        let settings = LocalCluster(directory: deep, port: 54329).settings(port: 54329)
        #expect(settings.contains("unix_socket_directories = ''"))
    }

    @Test func logTailKeepsTheLastLines() {
        #expect(LocalCluster.tail(of: "a\nb\nc\nd\n", lines: 2) == "c\nd")
        #expect(LocalCluster.tail(of: "only", lines: 5) == "only")
    }

    @Test func ancestorsRunFromRootDown() {
        #expect(LocalCluster.ancestors(of: "/a/b/c") == ["/", "/a", "/a/b", "/a/b/c"])
        #expect(LocalCluster.deepestExistingAncestor(of: "/tmp/surely/not/here/\(UUID())") == "/tmp")
    }

    @Test func theFallbackFolderIsNamedAfterThePathAskedFor() {
        let name = LocalCluster.fallbackName(for: "/root/offload/.offload/postgres")
        #expect(name.hasPrefix("offload-offload-postgres-"))
        #expect(name == LocalCluster.fallbackName(for: "/root/offload/.offload/postgres"))
        #expect(name != LocalCluster.fallbackName(for: "/root/other/.offload/postgres"))
        #expect(!LocalCluster.fallbackName(for: "/tmp/it's here/$(x)").contains { "'$()/ ".contains($0) })
        let cluster = LocalCluster(directory: "/root/offload/.offload/postgres", port: 54329)
        #expect(cluster.fallback.directory == "/var/tmp/" + name)
        #expect(cluster.fallback.requestedDirectory == cluster.directory)
    }
}
