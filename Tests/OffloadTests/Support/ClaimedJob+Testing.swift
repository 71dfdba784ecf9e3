import Foundation

@testable import Offload

extension ClaimedJob {
    /// A claimed job for tests that need no database.
    static func fixture(id: Int64, function: String = "greet", attempt: Int = 1, maxAttempts: Int = 25) -> ClaimedJob {
        ClaimedJob(
            id: id, function: function, queue: "default", argumentsJSON: "{}", attempt: attempt,
            maxAttempts: maxAttempts, eventID: nil, runAt: Date(timeIntervalSince1970: 0)
        )
    }
}
