import Foundation
import Metrics
import Synchronization

/// The worker's metrics through swift-metrics, with stable labels and a `function` dimension:
/// counters `offload_jobs_completed_total`, `offload_jobs_failed_total`, `offload_jobs_retried_total`,
/// `offload_jobs_dead_total`, `offload_jobs_cancelled_total`, `offload_jobs_rescued_total`; timers
/// `offload_job_run_duration` (handler run time) and `offload_job_queue_wait` (runnable → started).
final class WorkerMetrics: Sendable {
    private struct FunctionMetrics {
        let completed: Counter
        let failed: Counter
        let retried: Counter
        let dead: Counter
        let cancelled: Counter
        let runTime: Timer
        let queueWait: Timer

        init(function: String) {
            let dimensions = [("function", function)]
            completed = Counter(label: "offload_jobs_completed_total", dimensions: dimensions)
            failed = Counter(label: "offload_jobs_failed_total", dimensions: dimensions)
            retried = Counter(label: "offload_jobs_retried_total", dimensions: dimensions)
            dead = Counter(label: "offload_jobs_dead_total", dimensions: dimensions)
            cancelled = Counter(label: "offload_jobs_cancelled_total", dimensions: dimensions)
            runTime = Timer(label: "offload_job_run_duration", dimensions: dimensions)
            queueWait = Timer(label: "offload_job_queue_wait", dimensions: dimensions)
        }
    }

    // Metric handles are created once per function, not once per job.
    private let byFunction = Mutex<[String: FunctionMetrics]>([:])
    private let rescuedCounter = Counter(label: "offload_jobs_rescued_total")

    private func metrics(_ function: String) -> FunctionMetrics {
        byFunction.withLock { cache in
            if let metrics = cache[function] { return metrics }
            let metrics = FunctionMetrics(function: function)
            cache[function] = metrics
            return metrics
        }
    }

    func started(function: String, queueWaitNanoseconds: Int64) {
        metrics(function).queueWait.recordNanoseconds(max(0, queueWaitNanoseconds))
    }

    /// Records the queue wait of a job that became runnable at `runAt` and starts `now`. Any `run_at`
    /// the database holds (1700-01-01, -infinity, year 294276) gives a clamped wait, never a trap.
    func started(function: String, runAt: Date, now: Date = Date()) {
        started(function: function, queueWaitNanoseconds: now.nanosecondsSince(runAt))
    }

    func finished(function: String, runNanoseconds: Int64, state: JobState) {
        let metrics = metrics(function)
        metrics.runTime.recordNanoseconds(runNanoseconds)
        switch state {
        case .completed: metrics.completed.increment()
        case .retryable:
            metrics.failed.increment()
            metrics.retried.increment()
        case .dead:
            metrics.failed.increment()
            metrics.dead.increment()
        case .cancelled: metrics.cancelled.increment()
        case .available, .running: break
        }
    }

    func rescued(count: Int) {
        rescuedCounter.increment(by: Int64(count))
    }
}
