import Foundation

/// The folder holding the PostgreSQL server programs (`initdb`, `pg_ctl`, …).
public struct PostgresBinaries: Sendable, Equatable {
    /// The folder that contains `initdb` and `pg_ctl`.
    public var directory: String
    /// The `PATH` used to find client tools missing from ``directory``.
    var searchPath: String?

    /// Uses `directory` as is; see ``find(environment:)`` to discover it.
    public init(directory: String, searchPath: String? = nil) {
        self.directory = directory
        self.searchPath = searchPath
    }

    /// `initdb`, which creates a cluster.
    public var initdb: String { directory + "/initdb" }
    /// `pg_ctl`, which starts, stops and checks a cluster.
    public var pgCtl: String { directory + "/pg_ctl" }
    /// `pg_isready`, if installed; a client tool, so it may live elsewhere on `PATH`.
    public var pgIsReady: String? { tool("pg_isready") }
    /// `psql`, if installed.
    public var psql: String? { tool("psql") }

    private func tool(_ name: String) -> String? {
        let beside = directory + "/" + name
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return Subprocess.which(name, searchPath: searchPath)
    }

    /// Finds the server programs on this machine.
    ///
    /// In order: `$OFFLOAD_PG_BINDIR`; `pg_config --bindir` (on Debian `pg_config`
    /// comes with the client package and may name a folder without `initdb`, so the
    /// programs are checked, not assumed); the newest `/usr/lib/postgresql/*/bin`;
    /// then `initdb` on `PATH` (symlinks resolved, so its siblings are found).
    public static func find(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> PostgresBinaries {
        let path = environment["PATH"]
        if let forced = environment["OFFLOAD_PG_BINDIR"], !forced.isEmpty {
            guard hasServerPrograms(forced) else {
                throw LocalClusterError(
                    .serverBinariesNotFound, "OFFLOAD_PG_BINDIR=\(forced) does not contain initdb and pg_ctl.")
            }
            return PostgresBinaries(directory: forced, searchPath: path)
        }
        var candidates: [String] = []
        if let pgConfig = Subprocess.which("pg_config", searchPath: path),
            let result = try? await Subprocess.run(pgConfig, ["--bindir"]), result.succeeded
        {
            candidates.append(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let debianRoot = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: debianRoot)) ?? []
        candidates += versionsNewestFirst(versions).map { "\(debianRoot)/\($0)/bin" }
        if let initdb = Subprocess.which("initdb", searchPath: path) {
            candidates.append(URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent().path)
        }
        guard let found = candidates.first(where: hasServerPrograms) else {
            throw LocalClusterError(
                .serverBinariesNotFound,
                """
                The PostgreSQL server programs (initdb, pg_ctl) are not installed; \
                looked in pg_config --bindir, /usr/lib/postgresql/*/bin and PATH.
                Install them with: apt-get install -y postgresql   (Debian/Ubuntu; `make deps` does this)
                or: brew install postgresql   (macOS). Or set OFFLOAD_PG_BINDIR to their folder.
                """)
        }
        return PostgresBinaries(directory: found, searchPath: path)
    }

    /// Whether `directory` holds executable `initdb` and `pg_ctl`.
    static func hasServerPrograms(_ directory: String) -> Bool {
        let files = FileManager.default
        return files.isExecutableFile(atPath: directory + "/initdb")
            && files.isExecutableFile(atPath: directory + "/pg_ctl")
    }

    /// Version folder names (`"9.6"`, `"15"`, `"16"`) sorted newest first; others dropped.
    static func versionsNewestFirst(_ names: [String]) -> [String] {
        func parts(_ name: String) -> [Int]? {
            let numbers = name.split(separator: ".").map { Int($0) }
            return numbers.isEmpty || numbers.contains(nil) ? nil : numbers.compactMap { $0 }
        }
        return names.compactMap { name in parts(name).map { (name, $0) } }
            .sorted { $0.1.lexicographicallyPrecedes($1.1) }
            .reversed()
            .map(\.0)
    }
}
