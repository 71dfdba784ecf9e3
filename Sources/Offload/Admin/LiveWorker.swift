import Foundation
import PGClient

/// A worker process with a recent heartbeat: one row of `offload.live_workers`.
public struct LiveWorker: Sendable, Equatable {
    /// The worker id (host, process and a random part).
    public var id: String
    /// The machine it runs on.
    public var hostname: String?
    /// Its process id.
    public var pid: Int?
    /// The queues it claims from.
    public var queues: [String]
    /// How many jobs it runs at once.
    public var concurrency: Int?
    /// When it started.
    public var startedAt: Date
    /// Its latest heartbeat.
    public var heartbeatAt: Date
    /// Seconds since that heartbeat.
    public var secondsSinceHeartbeat: Double
    /// Jobs it is running now.
    public var runningJobs: Int

    /// Reads a row of `AdminSQL.liveWorkers`.
    init(row: Row) throws {
        id = try row.decode(String.self, "id")
        hostname = try row.decode(String?.self, "hostname")
        pid = try row.decode(Int?.self, "pid")
        queues = try row.decode([String]?.self, "queues") ?? []
        concurrency = try row.decode(Int?.self, "concurrency")
        startedAt = try row.decode(Date.self, "started_at")
        heartbeatAt = try row.decode(Date.self, "heartbeat_at")
        secondsSinceHeartbeat = try row.decode(Double.self, "seconds_since_heartbeat")
        runningJobs = try row.decode(Int.self, "running_jobs")
    }
}
