import Foundation

extension LocalCluster {
    /// The folder under which clusters go when the server's user cannot reach the one asked for.
    /// `/var/tmp` is open to every user (mode 1777) and, unlike `/tmp`, not emptied at boot.
    static let fallbackParent = "/var/tmp"

    /// The same cluster in a folder of its own under `fallbackParent`, named after `directory`, so two
    /// checkouts never share one and every later command finds it again.
    var fallback: LocalCluster {
        var moved = LocalCluster(directory: Self.fallbackParent + "/" + Self.fallbackName(for: directory), port: port)
        moved.isEphemeral = isEphemeral
        moved.requestedDirectory = directory
        return moved
    }

    /// `offload-<the last two components of path>-<a hash of the whole path>`, e.g.
    /// `offload-offload-postgres-3f2a9c1e07b4d685` for `/root/offload/.offload/postgres`.
    static func fallbackName(for path: String) -> String {
        let readable = path.split(separator: "/").suffix(2).joined(separator: "-")
            .map { $0.isLetter || $0.isNumber || $0 == "-" ? String($0) : "" }.joined()
        // FNV-1a: stable across runs and machines, unlike Swift's seeded Hasher.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "offload-\(readable.prefix(40))-\(String(repeating: "0", count: 16 - hex.count))\(hex)"
    }

    /// Where this cluster really lives.
    ///
    /// PostgreSQL refuses to run as root, so as root the server runs as another user, who cannot reach
    /// a folder inside root's home (mode 700) or any `mktemp -d` folder. Then the cluster goes to
    /// `fallback` instead. The rule is the same for every command, so `stop`, `status` and `url` find
    /// a cluster that `start` moved: the folder asked for when it holds a cluster, else the fallback
    /// when that holds one, else (nothing created yet) the fallback only when the folder cannot be
    /// reached.
    public func placed() async throws -> LocalCluster {
        guard ServerAccount.isRoot, requestedDirectory == nil else { return self }
        if isInitialized { return self }
        let moved = fallback
        if moved.isInitialized { return moved }
        // No user to run the server yet: `start` creates one, with the folder asked for.
        guard let account = try? await ServerAccount.resolve(dataDirectory: dataDirectory, create: false),
            account.user != nil
        else { return self }
        return await account.canReach(Self.deepestExistingAncestor(of: directory)) ? self : moved
    }

    /// Stops the server and deletes the cluster's folder, data included. Only a folder that holds a
    /// cluster (or nothing) is deleted, so a mistyped `--dir` never removes anything else.
    ///
    /// - Returns: Whether there was a folder to delete.
    @discardableResult
    public func destroy(binaries: PostgresBinaries? = nil) async throws -> Bool {
        let files = FileManager.default
        guard files.fileExists(atPath: directory) else { return false }
        let contents = (try? files.contentsOfDirectory(atPath: directory)) ?? []
        guard isInitialized || contents.isEmpty || Set(contents).isSubset(of: ["run", "data", "postgres.log"]) else {
            throw LocalClusterError(
                .invalidSetting, "\(directory) does not hold an Offload cluster (no data/PG_VERSION); not deleting it.")
        }
        if isInitialized { try await stop(binaries: binaries) }
        do {
            try files.removeItem(atPath: directory)
        } catch {
            throw LocalClusterError(.commandFailed, "Could not delete \(directory): \(error)")
        }
        return true
    }
}
