import Offload
import PGClient

/// The arguments of one chaos job: what `fixture-worker`'s `record` function reads, plus `n`, the
/// job's number in the run (1…jobs), which identifies it across retried enqueues.
struct ChaosJobArguments: Codable, Sendable, Equatable {
    var n: Int
    var failFirst: Bool?
    var alwaysFail: Bool?
    var sleepMs: Int?
}

/// The seeded mix of jobs: which fail first, which always fail, which are slow. Pure, so a run with
/// the same seed enqueues the same jobs.
struct ChaosJobMix: Sendable {
    let configuration: ChaosConfiguration

    /// The arguments of jobs `range` (1-based numbers).
    func arguments(_ range: ClosedRange<Int>) -> [ChaosJobArguments] {
        range.map(arguments(for:))
    }

    /// The arguments of job `n`; the same for the same seed and `n`, whatever else was drawn.
    func arguments(for n: Int) -> ChaosJobArguments {
        var random = SplitMix64(seed: configuration.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(n))
        let failure = random.nextPercent()
        let slowness = random.nextPercent()
        var job = ChaosJobArguments(n: n)
        if failure < configuration.alwaysFailPercent {
            job.alwaysFail = true
        } else if failure < configuration.alwaysFailPercent + configuration.failFirstPercent {
            job.failFirst = true
        }
        if slowness < configuration.slowPercent {
            job.sleepMs = 1_000 + Int(random.next() % 1_001)
        } else if configuration.ordinarySleepMs > 0 {
            job.sleepMs = Int(random.next() % UInt64(configuration.ordinarySleepMs + 1))
        }
        return job
    }

    /// Enqueue requests for jobs `range`: `record`, with few attempts for the always-failing ones.
    func requests(_ range: ClosedRange<Int>) throws -> [EnqueueRequest] {
        try arguments(range).map { job in
            EnqueueRequest(
                function: "record",
                arguments: try PGJSON(job),
                options: JobOptions(maxAttempts: job.alwaysFail == true ? configuration.alwaysFailMaxAttempts : nil)
            )
        }
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 100).
    mutating func nextPercent() -> Double {
        Double(next() >> 11) / Double(1 << 53) * 100
    }
}
