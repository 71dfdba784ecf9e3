import Foundation
import PGClient

/// Jobs that finished in one minute, for one queue and function: a row of `offload.throughput`.
public struct ThroughputMinute: Sendable, Equatable {
    /// The start of the minute.
    public var minute: Date
    /// The queue.
    public var queue: String
    /// The function.
    public var function: String
    /// Jobs completed in that minute.
    public var completed: Int
    /// Jobs that died in that minute (their final failure).
    public var failed: Int

    /// Reads a row of `AdminSQL.throughput`.
    init(row: Row) throws {
        minute = try row.decode(Date.self, "minute")
        queue = try row.decode(String.self, "queue")
        function = try row.decode(String.self, "function")
        completed = try row.decode(Int.self, "completed")
        failed = try row.decode(Int.self, "failed")
    }
}
