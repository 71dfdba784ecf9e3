import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The account that runs the PostgreSQL programs.
///
/// PostgreSQL refuses to run as root ("root execution of the PostgreSQL server is
/// not permitted"), so when we are root the programs run as an unprivileged user
/// through `runuser` (or `su`). Otherwise they run as the invoking user, directly.
struct ServerAccount: Sendable {
    /// The user to switch to, or `nil` to run as ourselves.
    var user: String?
    var uid: uid_t
    var gid: gid_t
    /// `runuser` or `su`, when switching users.
    private var switcher: String?

    /// Whether this process runs as root.
    static var isRoot: Bool { geteuid() == 0 }

    /// The invoking user.
    static let current = ServerAccount(user: nil, uid: geteuid(), gid: getegid(), switcher: nil)

    /// Chooses who runs the server for a data directory.
    ///
    /// Not root: ourselves. Root: the owner of an existing data directory (so a
    /// cluster keeps its user), else `postgres` if that user exists (Debian's
    /// package creates it), else a system user `offload`, created when `create`
    /// is true.
    static func resolve(dataDirectory: String, create: Bool) async throws -> ServerAccount {
        guard isRoot else { return .current }
        let owner = (try? FileManager.default.attributesOfItem(atPath: dataDirectory))?[.ownerAccountID] as? NSNumber
        if let owner, owner.uint32Value != 0, let name = UserRecord(uid: uid_t(owner.uint32Value))?.name {
            return try account(named: name)
        }
        if UserRecord(name: "postgres") != nil { return try account(named: "postgres") }
        if UserRecord(name: "offload") == nil && create {
            try await createSystemUser("offload")
        }
        return try account(named: "offload")
    }

    private static func account(named name: String) throws -> ServerAccount {
        guard let record = UserRecord(name: name) else {
            throw LocalClusterError(
                .serverUserUnavailable,
                "PostgreSQL refuses to run as root and there is no user '\(name)' to run it as. "
                    + "Run as a normal user, or create one: useradd --system --user-group \(name)")
        }
        let path = "/usr/sbin:/sbin:/usr/bin:/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
        guard let switcher = Subprocess.which("runuser", searchPath: path) ?? Subprocess.which("su", searchPath: path)
        else {
            throw LocalClusterError(
                .serverUserUnavailable, "Neither runuser nor su was found to run PostgreSQL as '\(name)'.")
        }
        return ServerAccount(user: name, uid: record.uid, gid: record.gid, switcher: switcher)
    }

    private static func createSystemUser(_ name: String) async throws {
        let path = "/usr/sbin:/sbin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
        guard let useradd = Subprocess.which("useradd", searchPath: path) else {
            throw LocalClusterError(
                .serverUserUnavailable,
                "PostgreSQL refuses to run as root, there is no 'postgres' user, and useradd is missing "
                    + "to create '\(name)'. Run as a normal user instead.")
        }
        // No home and no login shell: the user exists only to own the cluster folder.
        let result = try await Subprocess.run(
            useradd,
            [
                "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                "--shell", "/usr/sbin/nologin", name,
            ])
        // 9 = the user appeared meanwhile (another start racing us); that is fine.
        guard result.succeeded || result.status == 9 else {
            throw LocalClusterError(
                .serverUserUnavailable, "Could not create the system user '\(name)' to run PostgreSQL.",
                detail: result.output)
        }
    }

    /// `executable arguments…`, wrapped to run as ``user`` when switching.
    func command(_ executable: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        guard let user, let switcher else { return (executable, arguments) }
        if switcher.hasSuffix("/runuser") {
            return (switcher, ["-u", user, "--", executable] + arguments)
        }
        // su takes one shell command line; -s because system users often have nologin as shell.
        let line = "exec " + ([executable] + arguments).map(Subprocess.shellQuote).joined(separator: " ")
        return (switcher, ["-s", "/bin/sh", user, "-c", line])
    }

    /// Runs a program as this account, in `directory` (which the account can enter:
    /// some tools complain when started in a folder they cannot read, such as /root).
    func run(_ executable: String, _ arguments: [String], in directory: String) async throws -> SubprocessResult {
        let wrapped = command(executable, arguments)
        return try await Subprocess.run(
            wrapped.executable, wrapped.arguments, in: directory, environment: Self.cleanEnvironment())
    }

    /// Whether this account can enter `path` (every parent traversable) and, if
    /// `writable`, create files in it. Asks the OS as that user, so ACLs count too.
    func canReach(_ path: String, writable: Bool = false) async -> Bool {
        let script = writable ? #"cd "$1" && test -w ."# : #"cd "$1""#
        let wrapped = command("/bin/sh", ["-c", script, "sh", path])
        let result = try? await Subprocess.run(wrapped.executable, wrapped.arguments, in: "/")
        return result?.succeeded ?? false
    }

    /// Our environment without `PG*` variables, which would otherwise steer the
    /// tools (PGPORT, PGHOST, PGDATA, PGOPTIONS…) away from our explicit flags.
    static func cleanEnvironment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
    }
}
