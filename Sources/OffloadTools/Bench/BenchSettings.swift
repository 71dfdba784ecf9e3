/// The scenarios of `offload bench`, in the order each run measures them: the ceiling right next to
/// the burn-down it bounds, so both see the same machine.
enum BenchScenario: String, CaseIterable, Sendable {
    case limit
    case ownSQLLimit = "own_sql_limit"
    case burndown
    case burndown2Processes = "burndown_2proc"
    case scale
    case rss
    case steady
    case latency
    case enqueueSingle = "enqueue_single"
    case enqueueBulk = "enqueue_bulk"
}

/// How big and how long each scenario is.
struct BenchSettings: Sendable {
    /// Jobs worked off in a burn-down, and in the ceiling's runs (`--jobs`).
    var jobs: Int
    /// Jobs running at once in a burn-down worker (`--concurrency`).
    var concurrency: Int
    /// Most jobs a claim takes (`--claim-batch`); the ceiling claims batches of the same size.
    var claimBatch: Int
    /// The client counts the ceiling tries; the best one counts.
    var ceilingClients: [Int]
    /// Jobs enqueued one by one in the latency scenario, and the pause between them.
    var latencyJobs: Int
    var latencySpacing: Duration
    /// How long each half of the single-enqueue comparison runs.
    var enqueueSingleDuration: Duration
    /// Jobs in one `enqueueMany` call.
    var bulkJobs: Int
    /// Concurrency of the worker whose peak memory is read, and the jobs it works off.
    var rssConcurrency: Int
    var rssJobs: Int
    /// The backdrop of the scale scenario.
    var scaleFinishedJobs: Int
    var scaleScheduledJobs: Int
    /// Steady state: the first rate tried (jobs/s), each step's length, and the most steps.
    var steadyStartRate: Int
    var steadyStepDuration: Duration
    var steadyMaxSteps: Int

    /// The full benchmark for `jobs` jobs (100,000 by default).
    static func full(jobs: Int) -> BenchSettings {
        BenchSettings(
            jobs: jobs, concurrency: 2_000, claimBatch: 500, ceilingClients: [1, 2, 4],
            latencyJobs: 500, latencySpacing: .milliseconds(10),
            enqueueSingleDuration: .seconds(6), bulkJobs: jobs,
            rssConcurrency: 100, rssJobs: jobs,
            scaleFinishedJobs: 1_000_000, scaleScheduledJobs: 100_000,
            steadyStartRate: 2_000, steadyStepDuration: .seconds(3), steadyMaxSteps: 9
        )
    }

    /// A smoke run: every scenario, tiny, in well under a minute. Its figures mean nothing.
    static func quick(jobs: Int?) -> BenchSettings {
        let jobs = jobs ?? 2_000
        return BenchSettings(
            jobs: jobs, concurrency: 100, claimBatch: 100, ceilingClients: [1, 2],
            latencyJobs: 30, latencySpacing: .milliseconds(10),
            enqueueSingleDuration: .milliseconds(300), bulkJobs: jobs,
            rssConcurrency: 100, rssJobs: jobs,
            scaleFinishedJobs: 20_000, scaleScheduledJobs: 2_000,
            steadyStartRate: 200, steadyStepDuration: .milliseconds(500), steadyMaxSteps: 2
        )
    }
}
