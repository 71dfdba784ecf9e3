/// How a worker runs.
public struct WorkerConfiguration: Sendable {
    /// The most jobs running at once in this process. Defaults to 50.
    public var concurrency: Int
    /// The queues to take jobs from, in order of preference. Defaults to `["default"]`.
    public var queues: [String]
    /// The most jobs claimed in one statement. Defaults to 500.
    public var claimBatchSize: Int
    /// How often an idle worker looks for jobs without being notified (scheduled jobs, lost notifies).
    /// Defaults to 1 second.
    public var pollInterval: Duration
    /// How long a claimed job stays reserved without a heartbeat; a worker that dies loses its jobs to
    /// rescue after this. Defaults to 30 seconds.
    public var leaseDuration: Duration
    /// How often the worker proves it is alive and extends its jobs' leases. Defaults to 5 seconds.
    public var heartbeatInterval: Duration
    /// How long a graceful shutdown lets running jobs finish before cancelling them and handing them
    /// back. Defaults to 25 seconds.
    public var shutdownDeadline: Duration
    /// Maintenance (rescue, pruning) that the elected worker runs.
    public var maintenance: MaintenanceConfiguration
    /// Whether to listen for `NOTIFY` wake-ups (else poll only). Defaults to true.
    public var listens: Bool

    /// Creates a configuration; see each property for its default.
    public init(
        concurrency: Int = 50,
        queues: [String] = ["default"],
        claimBatchSize: Int = 500,
        pollInterval: Duration = .seconds(1),
        leaseDuration: Duration = .seconds(30),
        heartbeatInterval: Duration = .seconds(5),
        shutdownDeadline: Duration = .seconds(25),
        maintenance: MaintenanceConfiguration = MaintenanceConfiguration(),
        listens: Bool = true
    ) {
        self.concurrency = max(1, concurrency)
        self.queues = queues.isEmpty ? ["default"] : queues
        self.claimBatchSize = max(1, claimBatchSize)
        self.pollInterval = pollInterval
        self.leaseDuration = leaseDuration
        self.heartbeatInterval = heartbeatInterval
        self.shutdownDeadline = shutdownDeadline
        self.maintenance = maintenance
        self.listens = listens
    }
}

/// What the elected maintenance worker does, and how often.
public struct MaintenanceConfiguration: Sendable {
    /// Whether this worker may be elected to run maintenance. Defaults to true.
    public var enabled: Bool
    /// How often maintenance runs. Defaults to 1 second.
    public var interval: Duration
    /// Completed and cancelled jobs older than this are deleted, and so are events this old whose jobs
    /// are all finished. Defaults to 24 hours.
    public var completedRetention: Duration
    /// Dead jobs older than this are deleted; nil keeps them until someone acts. Defaults to nil.
    public var deadRetention: Duration?
    /// The most rows one pruning pass deletes, to keep transactions short. Defaults to 10,000.
    public var pruneBatchSize: Int

    /// Creates a configuration; see each property for its default.
    public init(
        enabled: Bool = true,
        interval: Duration = .seconds(1),
        completedRetention: Duration = .seconds(86_400),
        deadRetention: Duration? = nil,
        pruneBatchSize: Int = 10_000
    ) {
        self.enabled = enabled
        self.interval = interval
        self.completedRetention = completedRetention
        self.deadRetention = deadRetention
        self.pruneBatchSize = pruneBatchSize
    }
}
