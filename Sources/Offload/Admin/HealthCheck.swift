import Foundation
import PGClient

/// One row of `offload.health`: a check of what keeps the job tables healthy over days.
public struct HealthCheck: Sendable, Equatable {
    /// How a check came out.
    public enum Status: String, Sendable, Comparable {
        case ok, warning, problem

        public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rank < rhs.rank }
        private var rank: Int { self == .ok ? 0 : self == .warning ? 1 : 2 }
    }

    /// What is checked, e.g. `oldest transaction`.
    public var name: String
    /// `ok`, `warning` or `problem`.
    public var status: Status
    /// The number the status is judged on (dead rows, seconds, transactions, jobs), when there is one.
    public var value: Double?
    /// What was found, in a sentence.
    public var summary: String
    /// What to do, when the status is not `ok`.
    public var advice: String?

    /// Creates a check (the claim-latency probe is made in Swift).
    public init(name: String, status: Status, value: Double?, summary: String, advice: String?) {
        self.name = name
        self.status = status
        self.value = value
        self.summary = summary
        self.advice = advice
    }

    /// Reads a row of `AdminSQL.health`.
    init(row: Row) throws {
        name = try row.decode(String.self, "name")
        let status = try row.decode(String.self, "status")
        guard let known = Status(rawValue: status) else {
            throw PGError(.decoding, "unknown health status \"\(status)\"", column: "status")
        }
        self.status = known
        value = try row.decode(Double?.self, "value")
        summary = try row.decode(String.self, "summary")
        advice = try row.decode(String?.self, "advice")
    }
}
