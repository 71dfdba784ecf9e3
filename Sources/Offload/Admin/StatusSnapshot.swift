import Foundation

/// What `offload status` shows, read at one moment: queue depths and rates, and the live workers.
public struct StatusSnapshot: Sendable, Equatable {
    /// The database's clock when the snapshot was read.
    public var at: Date
    /// One entry per queue and function that has unfinished or dead jobs or recent completions, ordered
    /// by queue, then function.
    public var queues: [QueueStat]
    /// Workers with a heartbeat in the last minute, oldest first.
    public var workers: [LiveWorker]

    /// Creates a snapshot.
    public init(at: Date, queues: [QueueStat], workers: [LiveWorker]) {
        self.at = at
        self.queues = queues
        self.workers = workers
    }
}
