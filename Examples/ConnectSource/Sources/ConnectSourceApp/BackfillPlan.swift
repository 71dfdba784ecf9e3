/// How the simulated import of one source goes; a pure function of its id, so runs are repeatable.
public struct BackfillPlan: Sendable, Equatable {
    /// How long the "API calls" take: 200 to 500 ms.
    public var work: Duration
    /// How many documents it imports: 5 to 24.
    public var documents: Int
    /// Whether its first attempt fails.
    public var failsFirstAttempt: Bool

    /// The plan for source `sourceId`; every `flakyEvery`-th source (0: none) fails its first attempt.
    public init(sourceId: Int64, flakyEvery: Int) {
        // A multiplicative hash spreads consecutive ids over the range.
        let spread = Int((UInt64(bitPattern: sourceId) &* 2_654_435_761) % 301)
        work = .milliseconds(200 + spread)
        documents = 5 + Int(sourceId % 20)
        failsFirstAttempt = flakyEvery > 0 && sourceId % Int64(flakyEvery) == 0
    }
}

/// A failure of the (simulated) third-party API: worth retrying.
struct UpstreamError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
