/// What `offload bench --soak` does: how long, how hard, and with what in the table.
struct SoakConfiguration: Sendable, Equatable {
    /// How the producer's rate is chosen.
    enum Load: Sendable, Equatable {
        /// This fraction of the capacity that a short burn-down measures first (`--soak-load`).
        case fractionOfCapacity(Double)
        /// A fixed rate in jobs per second, no burn-down (`--soak-rate`).
        case rate(Int)
    }

    /// How long the producer runs (`--soak`).
    var duration: Duration
    /// How often a line is reported (`--soak-interval`). Defaults to 1 minute.
    var interval: Duration
    /// The producer's rate. Defaults to 70 % of the measured capacity.
    var load: Load
    /// Jobs scheduled for tomorrow, in the table from the start (`--soak-future-jobs`). Defaults to
    /// 1,000,000.
    var futureJobs: Int
    /// How long the worker keeps completed jobs before maintenance prunes them (`--soak-retention`).
    /// Defaults to the interval: the table then holds one interval's worth of finished jobs from the
    /// end of the first interval on, so the size after it is the steady size to compare the end with.
    var retention: Duration
    /// Jobs in the burn-down that measures the capacity (`--jobs`).
    var capacityJobs: Int
    /// The worker's concurrency and claim batch (`--concurrency`, `--claim-batch`).
    var concurrency: Int
    var claimBatch: Int
    /// How often the claim is timed.
    var probeInterval: Duration = .milliseconds(100)

    static let defaultLoad = 0.7
    static let defaultFutureJobs = 1_000_000
    static let defaultInterval = Duration.seconds(60)

    /// When, from the start, the transaction holding back xmin begins: a third into the run.
    var holdStart: Duration { duration / 3 }
    /// When it ends: two thirds into the run.
    var holdEnd: Duration { duration * 2 / 3 }

    /// Where each interval ends, from the start: every `interval`, and the end of the run (a shorter
    /// last interval when the duration is not a multiple of it).
    var intervalEnds: [Duration] {
        var ends: [Duration] = []
        var end = interval
        while end < duration {
            ends.append(end)
            end += interval
        }
        ends.append(duration)
        return ends
    }

    /// Whether the interval at `index` (0-based) is in the xmin window: whether its planned span
    /// overlaps the planned hold. From the plan, not from the clock, so that an interval ending at the
    /// very moment the hold begins or ends is not counted by a race of a few milliseconds.
    func isInXminWindow(interval index: Int) -> Bool {
        let ends = intervalEnds
        let start = index == 0 ? .zero : ends[index - 1]
        return start < holdEnd && ends[index] > holdStart
    }
}
