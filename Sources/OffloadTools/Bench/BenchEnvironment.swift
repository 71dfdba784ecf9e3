import Foundation
import PGClient

/// What the figures were measured on: the machine and the server's settings that bound them.
enum BenchEnvironment {
    /// The PostgreSQL settings that decide commit cost and clean-up, reported next to the figures.
    static let reportedSettings = [
        "server_version", "fsync", "synchronous_commit", "wal_sync_method", "full_page_writes",
        "shared_buffers", "max_wal_size", "checkpoint_timeout", "autovacuum", "max_connections",
    ]

    static func machine() -> String {
        let cpuModel = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n")
            .first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?
            .trimmingCharacters(in: .whitespaces)
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        var parts = ["\(ProcessInfo.processInfo.activeProcessorCount) CPUs"]
        if let cpuModel { parts.append(cpuModel) }
        parts.append(String(format: "%.1f GiB", memory))
        parts.append(ProcessInfo.processInfo.operatingSystemVersionString)
        return parts.joined(separator: ", ")
    }

    static func postgresSettings(_ database: some Queryable) async throws -> String {
        let query: Query = """
            SELECT name, current_setting(name) AS setting
            FROM pg_settings
            WHERE name = ANY(\(reportedSettings)::text[])
            """
        var byName: [String: String] = [:]
        for row in try await database.query(query).rows {
            byName[try row.decode(String.self, "name")] = try row.decode(String.self, "setting")
        }
        return reportedSettings.compactMap { name in byName[name].map { "\(name)=\($0)" } }.joined(separator: " ")
    }
}
