import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension LocalCluster {
    /// Creates the cluster folder and makes sure `account` can use it.
    ///
    /// When we are root the server runs as another user, who must be able to walk
    /// from `/` down to the folder; a checkout under `/root` (mode 0700) fails that,
    /// and PostgreSQL's own error would be obscure, so we check first.
    func prepareDirectories(for account: ServerAccount) async throws {
        if account.user != nil {
            // Check before creating anything, so a refusal leaves no root-owned folders behind.
            let existing = Self.deepestExistingAncestor(of: directory)
            guard await account.canReach(existing) else { throw await unreachable(by: account) }
        }
        let files = FileManager.default
        do {
            // Parents stay traversable (0755) even under a strict umask; the cluster
            // folder itself is private (0700): it holds the socket and the data.
            let parent = (directory as NSString).deletingLastPathComponent
            try files.createDirectory(
                atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            for folder in [directory, socketDirectory] where !files.fileExists(atPath: folder) {
                try files.createDirectory(
                    atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw LocalClusterError(
                .directoryNotReachable, "Could not create the cluster folder \(directory): \(error)")
        }
        guard account.user != nil else { return }
        try await handOver(to: account)
        guard await account.canReach(directory, writable: true) else { throw await unreachable(by: account) }
    }

    /// Gives the cluster folder to the server's user, if anything in it belongs to someone else.
    private func handOver(to account: ServerAccount) async throws {
        let files = FileManager.default
        let owners = [directory, socketDirectory, dataDirectory, logFile].compactMap {
            (try? files.attributesOfItem(atPath: $0))?[.ownerAccountID] as? NSNumber
        }
        guard owners.contains(where: { $0.uint32Value != account.uid }) else { return }
        let chown = Subprocess.which("chown", searchPath: "/usr/bin:/bin") ?? "/bin/chown"
        let result = try await Subprocess.run(chown, ["-R", "\(account.uid):\(account.gid)", directory])
        guard result.succeeded else {
            throw LocalClusterError(
                .directoryNotReachable, "Could not give \(directory) to the user '\(account.user ?? "")'.",
                detail: result.output)
        }
    }

    /// Gives one file we wrote as root to the server's user.
    func handOver(file path: String, to account: ServerAccount) throws {
        guard account.user != nil else { return }
        guard chown(path, account.uid, account.gid) == 0 else {
            throw LocalClusterError(
                .directoryNotReachable, "Could not give \(path) to the user '\(account.user ?? "")' (errno \(errno)).")
        }
    }

    /// The error for a folder the server's user cannot reach, naming the first
    /// blocking parent so the fix is obvious.
    private func unreachable(by account: ServerAccount) async -> LocalClusterError {
        let user = account.user ?? "the current user"
        var blocker = directory
        for ancestor in Self.ancestors(of: directory) {
            if await !account.canReach(ancestor) {
                blocker = ancestor
                break
            }
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: blocker)
        let mode = (attributes?[.posixPermissions] as? NSNumber).map { String($0.intValue, radix: 8) } ?? "?"
        let owner = attributes?[.ownerAccountName] as? String ?? "?"
        return LocalClusterError(
            .directoryNotReachable,
            """
            PostgreSQL refuses to run as root, so it runs as the user '\(user)', but '\(user)' cannot \
            reach \(directory): \(blocker) is not open to it (mode \(mode), owner \(owner)).
            Put the cluster somewhere that user can reach, e.g. --dir /tmp/offload-postgres \
            (or OFFLOAD_LOCAL_DIR=/tmp/offload-postgres), or allow passing through: chmod o+x \(blocker)
            """)
    }

    /// `/`, `/a`, `/a/b`, … down to and including `path`.
    static func ancestors(of path: String) -> [String] {
        var result = ["/"]
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            result.append(current)
        }
        return result
    }

    /// The longest prefix of `path` that exists (at worst `/`).
    static func deepestExistingAncestor(of path: String) -> String {
        ancestors(of: path).last { FileManager.default.fileExists(atPath: $0) } ?? "/"
    }
}
