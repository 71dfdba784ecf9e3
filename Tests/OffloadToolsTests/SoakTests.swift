import ArgumentParser
import Testing

@testable import OffloadTools

/// The soak's planning, arithmetic and verdicts, without a database.
@Suite("Soak")
struct SoakTests {
    private static func configuration(duration: Duration, interval: Duration) -> SoakConfiguration {
        SoakConfiguration(
            duration: duration, interval: interval, load: .rate(100), futureJobs: 0, retention: interval,
            capacityJobs: 1_000, concurrency: 10, claimBatch: 10)
    }

    @Test func intervalsEndEveryIntervalAndAtTheEnd() {
        #expect(
            Self.configuration(duration: .seconds(600), interval: .seconds(60)).intervalEnds
                == (1...10).map { .seconds(60 * $0) })
        #expect(
            Self.configuration(duration: .seconds(90), interval: .seconds(60)).intervalEnds
                == [.seconds(60), .seconds(90)])
    }

    @Test func theXminWindowIsTheMiddleThirdAndTheIntervalsItOverlaps() {
        let ten = Self.configuration(duration: .seconds(600), interval: .seconds(60))
        #expect(ten.holdStart == .seconds(200))
        #expect(ten.holdEnd == .seconds(400))
        // 3:20 to 6:40: the intervals ending at 4, 5, 6 and 7 minutes.
        #expect((0..<10).filter { ten.isInXminWindow(interval: $0) } == [3, 4, 5, 6])
        // A window that starts and ends on interval boundaries takes only the interval it spans.
        let six = Self.configuration(duration: .seconds(6), interval: .seconds(2))
        #expect((0..<3).filter { six.isInXminWindow(interval: $0) } == [1])
    }

    @Test func optionsDefaultToTheIssuesSoak() throws {
        let options = try SoakOptions.parse(["--soak", "10m"])
        let configuration = try #require(
            options.configuration(capacityJobs: 100_000, concurrency: 2_000, claimBatch: 500))
        #expect(configuration.duration == .seconds(600))
        #expect(configuration.interval == .seconds(60))
        #expect(configuration.load == .fractionOfCapacity(0.7))
        #expect(configuration.futureJobs == 1_000_000)
        #expect(configuration.retention == .seconds(60))
        #expect(try SoakOptions.parse([]).configuration(capacityJobs: 1, concurrency: 1, claimBatch: 1) == nil)
        let short = try #require(
            try SoakOptions.parse(["--soak", "30s", "--soak-rate", "200"])
                .configuration(capacityJobs: 1, concurrency: 1, claimBatch: 1))
        #expect(short.interval == .seconds(30))
        #expect(short.load == .rate(200))
    }

    @Test(arguments: [
        (["--soak", "0s"], "--soak must be longer than 0s"),
        (["--soak", "10m", "--soak-load", "2"], "--soak-load must be above 0 and at most 1"),
        (["--soak", "10m", "--soak-load", "0"], "--soak-load must be above 0 and at most 1"),
        (["--soak", "10m", "--soak-rate", "0"], "--soak-rate must be at least 1"),
        (["--soak", "10m", "--soak-rate", "10", "--soak-load", "0.5"], "exclude each other"),
        (["--soak", "10m", "--soak-interval", "20m"], "--soak-interval (20m) must not be longer than --soak (10m)"),
        (["--soak", "10m", "--soak-interval", "0s"], "--soak-interval must be at least 1s"),
        (["--soak", "10m", "--soak-future-jobs=-1"], "--soak-future-jobs must not be negative"),
        (["--soak", "10m", "--soak-retention", "0s"], "--soak-retention must be longer than 0s"),
        (["--soak-rate", "10"], "--soak-rate needs --soak"),
        (["--soak", "10m", "--only", "latency"], "--soak runs the soak alone; drop --only"),
        (["--soak", "10m", "--runs", "3"], "--soak runs the soak alone; drop --runs"),
        (["--soak", "tomorrow"], "--soak <duration>"),
    ])
    func badOptionsNameTheOption(arguments: [String], message: String) {
        do {
            _ = try BenchCommand.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let text = BenchCommand.message(for: error)
            #expect(text.contains(message), "\(arguments): \(text)")
        }
    }

    private static func sample(
        at: Double, lastID: Int64, waiting: Int = 0, unfinished: Int = 0, bytes: Int64 = 1_000, vacuums: Int = 0
    ) -> SoakSample {
        SoakSample(
            at: at, lastID: lastID, waiting: waiting, unfinished: unfinished, firstUnfinishedID: nil,
            tableBytes: bytes, indexBytes: bytes / 2, claimIndexBytes: nil, deadTuples: 0, liveTuples: 0,
            vacuums: vacuums)
    }

    private static func interval(
        _ index: Int, previous: SoakSample, end: SoakSample, lagP99: Double = 2, inXminWindow: Bool = false
    ) -> SoakInterval {
        SoakInterval(
            index: index, endSeconds: Double(index) * 60, previous: previous, end: end,
            lag: SoakLag(started: 1, p50: 1, p99: lagP99, max: lagP99), claimMilliseconds: [0.2, 0.3, 0.9],
            xminHeld: inXminWindow ? .seconds(60) : .zero, inXminWindow: inXminWindow, loadAverage: nil, rate: 1_000)
    }

    @Test func anIntervalCountsWhatCameInLessWhatTheBacklogGrewBy() {
        let start = Self.sample(at: 100, lastID: 1_000, unfinished: 50, vacuums: 2)
        let end = Self.sample(at: 160, lastID: 61_000, waiting: 2_000, unfinished: 2_500, vacuums: 5)
        let interval = Self.interval(1, previous: start, end: end)
        #expect(interval.produced == 60_000)
        #expect(interval.done == 57_550)
        #expect(interval.producedPerSecond == 1_000)
        #expect(interval.vacuums == 3)
        #expect(interval.claimP50 == 0.3)
        // 2,000 waiting is two seconds of a 1,000 jobs/s producer: behind.
        #expect(!interval.keptUp)
        #expect(SoakInterval.keptUp(waiting: 1_000, lagP99Milliseconds: 999, rate: 1_000))
        #expect(!SoakInterval.keptUp(waiting: 0, lagP99Milliseconds: 1_001, rate: 1_000))
        #expect(SoakInterval.keptUp(waiting: 100, lagP99Milliseconds: 0, rate: 1))
    }

    @Test func theReportJudgesTheIssuesTargets() throws {
        let samples = [
            Self.sample(at: 0, lastID: 0, bytes: 1_000),
            Self.sample(at: 60, lastID: 60_000, bytes: 2_000),
            Self.sample(at: 120, lastID: 120_000, waiting: 5_000, unfinished: 5_000, bytes: 2_500),
            Self.sample(at: 180, lastID: 180_000, bytes: 2_800),
        ]
        let intervals = [
            Self.interval(1, previous: samples[0], end: samples[1], lagP99: 3),
            Self.interval(2, previous: samples[1], end: samples[2], lagP99: 40, inXminWindow: true),
            Self.interval(3, previous: samples[2], end: samples[3], lagP99: 6),
        ]
        let report = SoakReport(
            configuration: Self.configuration(duration: .seconds(180), interval: .seconds(60)), rate: 1_000,
            capacity: nil, intervals: intervals)
        #expect(try #require(report.throughputRatio) == 65_000.0 / 60_000.0)
        #expect(try #require(report.sizeRatio) == 1.4)
        let targets = report.targets
        #expect(targets.map(\.met) == [false, true, true, false])
        #expect(targets[0].value == "not 2")
        // The lag inside the window (40 ms) is not judged; the worst outside it is.
        #expect(targets[3].value == "worst 6.0 ms (interval 3)")
        #expect(report.endLine.contains("1.083"))
        #expect(SoakReport.line(intervals[1]).contains("NO"))
    }
}
