/// What a chaos run does: how much work, how many workers, which faults, and how the workers are tuned.
struct ChaosConfiguration: Sendable {
    /// Jobs enqueued over the run. Defaults to 20,000.
    var jobs = 20_000
    /// Worker processes alive at any time. Defaults to 4.
    var workers = 4
    /// How long faults are injected; jobs are enqueued during the first three quarters. Defaults to 30 s.
    var duration: Duration = .seconds(30)
    /// A random worker is SIGKILLed (and a new one started) this often; nil for never. Defaults to 2 s.
    var killInterval: Duration? = .seconds(2)
    /// Whether to restart PostgreSQL once (needs a local cluster). Defaults to true.
    var restartsPostgres = true
    /// Whether to `pg_terminate_backend` every worker connection once. Defaults to true.
    var terminatesConnections = true
    /// Seeds the job mix and the choice of victims, so a run can be repeated. Defaults to 1.
    var seed: UInt64 = 1

    /// Percent of jobs that fail their first attempt. Defaults to 5.
    var failFirstPercent = 5.0
    /// Percent of jobs that fail every attempt (and must end `dead`). Defaults to 1.
    var alwaysFailPercent = 1.0
    /// Their attempts. Defaults to 3.
    var alwaysFailMaxAttempts = 3
    /// Percent of jobs that take 1–2 s. Defaults to 2.
    var slowPercent = 2.0
    /// The most milliseconds an ordinary job sleeps (so that kills find jobs mid-run). Defaults to 100.
    var ordinarySleepMs = 100

    /// Per worker process. Defaults to 32.
    var concurrency = 32
    /// Defaults to 5 s: longer than a PostgreSQL restart takes, so only killed workers lose leases.
    var leaseMs = 5_000
    var heartbeatMs = 500
    var maintenanceMs = 250
    var pollMs = 250
    /// Drain deadline on SIGTERM. Defaults to 10 s, longer than the slowest job.
    var shutdownDeadlineMs = 10_000
    /// How long the clean-up workers may take to finish what is left after the final SIGTERM.
    var settleTimeout: Duration = .seconds(180)

    /// The `offload` executable that runs `fixture-worker`.
    var workerExecutable: String
    /// Where each worker's output goes (`worker-N-PID.log`).
    var logDirectory: String

    /// The workers' command-line arguments (the database comes through `DATABASE_URL`, so no password
    /// shows in `ps`).
    func workerArguments(parentPID: Int32) -> [String] {
        [
            "fixture-worker",
            "--concurrency", "\(concurrency)",
            "--lease-ms", "\(leaseMs)",
            "--heartbeat-ms", "\(heartbeatMs)",
            "--maintenance-ms", "\(maintenanceMs)",
            "--poll-ms", "\(pollMs)",
            "--shutdown-deadline-ms", "\(shutdownDeadlineMs)",
            // Handlers hold a connection only for their one INSERT; stay well below max_connections.
            "--max-connections", "\(min(concurrency, 10) + 2)",
            "--exit-with-parent", "\(parentPID)",
        ]
    }
}
