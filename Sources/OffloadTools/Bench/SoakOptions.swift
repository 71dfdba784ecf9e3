import ArgumentParser
import OffloadCLI

/// `offload bench --soak DURATION` and the options that shape it (issue 15).
struct SoakOptions: ParsableArguments {
    @Option(
        name: .customLong("soak"),
        help: ArgumentHelp(
            "Run the soak instead of the scenarios, for this long, e.g. 10m or 90s (BENCHMARKS.md, \"Soak\").",
            valueName: "duration"),
        transform: { text in try DurationParser.parse(text) })
    var duration: Duration?

    @Option(
        name: .customLong("soak-load"),
        help: ArgumentHelp(
            "The producer's rate as a fraction of the capacity a short burn-down measures first. Defaults to 0.7.",
            valueName: "fraction"))
    var load: Double?

    @Option(
        name: .customLong("soak-rate"),
        help: ArgumentHelp("A fixed producer rate instead of --soak-load (no burn-down).", valueName: "jobs/s"))
    var rate: Int?

    @Option(
        name: .customLong("soak-future-jobs"),
        help: ArgumentHelp(
            "Jobs scheduled for tomorrow, in the table from the start. Defaults to 1,000,000.", valueName: "count"))
    var futureJobs: Int?

    @Option(
        name: .customLong("soak-interval"),
        help: ArgumentHelp("How often a line is printed, e.g. 1m or 2s. Defaults to 1 minute.", valueName: "duration"),
        transform: { text in try DurationParser.parse(text) })
    var interval: Duration?

    @Option(
        name: .customLong("soak-retention"),
        help: ArgumentHelp(
            "How long the worker keeps completed jobs before pruning them. Defaults to the interval.",
            valueName: "duration"),
        transform: { text in try DurationParser.parse(text) })
    var retention: Duration?

    /// Whether a soak was asked for.
    var isSoak: Bool { duration != nil }

    func validate() throws {
        guard let duration else {
            let given: [(String, Bool)] = [
                ("--soak-load", load != nil), ("--soak-rate", rate != nil), ("--soak-future-jobs", futureJobs != nil),
                ("--soak-interval", interval != nil), ("--soak-retention", retention != nil),
            ]
            if let (name, _) = given.first(where: \.1) { throw ValidationError("\(name) needs --soak DURATION") }
            return
        }
        guard duration > .zero else { throw ValidationError("--soak must be longer than 0s, e.g. 10m") }
        if let load {
            // Written so that NaN fails too.
            guard load > 0, load <= 1 else {
                throw ValidationError(
                    "--soak-load must be above 0 and at most 1: a fraction of the measured capacity, e.g. 0.7")
            }
            if rate != nil { throw ValidationError("--soak-load and --soak-rate exclude each other; give one") }
        }
        if let rate, rate < 1 { throw ValidationError("--soak-rate must be at least 1 job/s") }
        if let futureJobs, futureJobs < 0 { throw ValidationError("--soak-future-jobs must not be negative") }
        if let interval {
            guard interval >= .seconds(1) else { throw ValidationError("--soak-interval must be at least 1s") }
            guard interval <= duration else {
                throw ValidationError(
                    "--soak-interval (\(DurationParser.format(interval))) must not be longer than --soak "
                        + "(\(DurationParser.format(duration)))")
            }
        }
        if let retention, retention <= .zero { throw ValidationError("--soak-retention must be longer than 0s") }
    }

    /// The soak to run, nil when `--soak` was not given.
    func configuration(capacityJobs: Int, concurrency: Int, claimBatch: Int) -> SoakConfiguration? {
        guard let duration else { return nil }
        let interval = min(interval ?? SoakConfiguration.defaultInterval, duration)
        return SoakConfiguration(
            duration: duration,
            interval: interval,
            load: rate.map(SoakConfiguration.Load.rate) ?? .fractionOfCapacity(load ?? SoakConfiguration.defaultLoad),
            futureJobs: futureJobs ?? SoakConfiguration.defaultFutureJobs,
            retention: retention ?? interval,
            capacityJobs: capacityJobs,
            concurrency: concurrency,
            claimBatch: claimBatch
        )
    }
}
