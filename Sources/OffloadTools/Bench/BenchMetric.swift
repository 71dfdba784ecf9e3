/// One figure `offload bench` reports: its JSON field, how it is shown, and its target.
struct BenchMetric: Sendable {
    enum Unit: String, Sendable {
        case jobsPerSecond = "jobs/s"
        case perSecond = "/s"
        case milliseconds = "ms"
        case microseconds = "us"
        case megabytes = "MB"
        case ratio = "x"
        case count = ""

        var decimals: Int {
            switch self {
            case .jobsPerSecond, .perSecond, .count: return 0
            case .milliseconds, .ratio: return 3
            case .microseconds: return 1
            case .megabytes: return 1
            }
        }
    }

    /// The JSON field, e.g. `burndown_jobs_per_s`.
    let key: String
    let unit: Unit
    /// The goal, as shown in the table (nil: context only).
    let target: String?
    let scenario: BenchScenario

    /// Every figure, in the order of the table.
    static let all: [BenchMetric] = [
        BenchMetric(key: "limit_jobs_per_s", unit: .jobsPerSecond, target: nil, scenario: .limit),
        BenchMetric(key: "limit_clients", unit: .count, target: nil, scenario: .limit),
        BenchMetric(key: "limit_server_cpu_us_per_job", unit: .microseconds, target: nil, scenario: .limit),
        BenchMetric(key: "own_sql_limit_jobs_per_s", unit: .jobsPerSecond, target: nil, scenario: .ownSQLLimit),
        BenchMetric(key: "own_sql_limit_clients", unit: .count, target: nil, scenario: .ownSQLLimit),
        BenchMetric(
            key: "own_sql_limit_server_cpu_us_per_job", unit: .microseconds, target: nil, scenario: .ownSQLLimit),
        BenchMetric(key: "burndown_jobs_per_s", unit: .jobsPerSecond, target: nil, scenario: .burndown),
        BenchMetric(key: "burndown_vs_limit", unit: .ratio, target: ">= 0.6", scenario: .burndown),
        BenchMetric(key: "burndown_vs_own_sql_limit", unit: .ratio, target: nil, scenario: .burndown),
        BenchMetric(key: "burndown_worker_cpu_us_per_job", unit: .microseconds, target: nil, scenario: .burndown),
        BenchMetric(key: "burndown_server_cpu_us_per_job", unit: .microseconds, target: nil, scenario: .burndown),
        BenchMetric(key: "burndown_2proc_jobs_per_s", unit: .jobsPerSecond, target: nil, scenario: .burndown2Processes),
        BenchMetric(key: "scale", unit: .ratio, target: ">= 0.8", scenario: .scale),
        BenchMetric(key: "scale_empty_jobs_per_s", unit: .jobsPerSecond, target: nil, scenario: .scale),
        BenchMetric(key: "scale_filled_jobs_per_s", unit: .jobsPerSecond, target: nil, scenario: .scale),
        BenchMetric(key: "worker_peak_rss_mb", unit: .megabytes, target: "<= 60", scenario: .rss),
        BenchMetric(key: "steady_jobs_per_s", unit: .jobsPerSecond, target: nil, scenario: .steady),
        BenchMetric(key: "steady_lag_p99_ms", unit: .milliseconds, target: nil, scenario: .steady),
        BenchMetric(key: "latency_p50_ms", unit: .milliseconds, target: "<= 1", scenario: .latency),
        BenchMetric(key: "latency_p90_ms", unit: .milliseconds, target: nil, scenario: .latency),
        BenchMetric(key: "latency_p99_ms", unit: .milliseconds, target: "<= 3", scenario: .latency),
        BenchMetric(key: "latency_max_ms", unit: .milliseconds, target: nil, scenario: .latency),
        BenchMetric(key: "latency_wake_p50_ms", unit: .milliseconds, target: nil, scenario: .latency),
        BenchMetric(key: "durable_commit_p50_ms", unit: .milliseconds, target: nil, scenario: .latency),
        BenchMetric(key: "durable_commit_p99_ms", unit: .milliseconds, target: nil, scenario: .latency),
        BenchMetric(key: "enqueue_single_per_s", unit: .perSecond, target: nil, scenario: .enqueueSingle),
        BenchMetric(key: "bare_insert_per_s", unit: .perSecond, target: nil, scenario: .enqueueSingle),
        BenchMetric(key: "enqueue_single_vs_bare_insert", unit: .ratio, target: ">= 0.8", scenario: .enqueueSingle),
        BenchMetric(key: "enqueue_bulk_per_s", unit: .jobsPerSecond, target: ">= 150000", scenario: .enqueueBulk),
        BenchMetric(key: "bulk_insert_per_s", unit: .jobsPerSecond, target: nil, scenario: .enqueueBulk),
        BenchMetric(key: "enqueue_bulk_vs_bulk_insert", unit: .ratio, target: nil, scenario: .enqueueBulk),
    ]
}
