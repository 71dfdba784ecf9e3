import Foundation
import Offload
import OffloadTestKit
import PGClient

struct Greet: JobArguments, Equatable {
    static let function = "greet"
    var name: String
}

struct Greeting: Codable, Equatable, Sendable {
    var text: String
}

struct SourceConnected: Event {
    static let name = "api/source.connected"
    var sourceId: Int
    var userId: Int
}

struct Failing: Error, CustomStringConvertible {
    var description: String { "deliberate failure" }
}

func count(_ pool: ConnectionPool, _ where: String) async throws -> Int {
    try await pool.query(Query(unsafeSQL: "SELECT count(*) AS n FROM offload.jobs WHERE \(`where`)")).single(
        Int.self, "n")
}
