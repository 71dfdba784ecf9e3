import Foundation
@_spi(Benchmarks) import Offload
import PGClient

/// Offload's own claim and complete statements as a pgbench script: the text the worker runs, with
/// each `$n` turned into a pgbench variable. The claim is wrapped so that the ids and attempts it
/// returns land in `:ids` and `:attempts` (pgbench's `\gset` takes one row), which the completion
/// then binds where the worker binds its arrays.
struct OwnSQLScript: Sendable {
    let script: String
    let variables: [String: String]

    static let workerID = "offload-bench-ceiling"

    init(batch: Int, leaseSeconds: Double = 30) throws {
        let claim = HotPathStatements.claim(
            queue: "default", limit: batch, workerID: Self.workerID, leaseSeconds: leaseSeconds)
        // Values no real completion binds, so their positions among the binds can be found.
        let idsMarker: Int64 = -7_300_001
        let attemptsMarker = -7_300_002
        let complete = HotPathStatements.complete(
            jobIDs: [idsMarker], attempts: [attemptsMarker], workerID: Self.workerID)
        let idsText = try [idsMarker].pgText()
        let attemptsText = try [attemptsMarker].pgText()

        var variables: [String: String] = [:]
        let claimSQL = try Self.substitute(claim) { position, value in
            variables["claim_\(position)"] = value
            return "claim_\(position)"
        }
        let completeSQL = try Self.substitute(complete) { position, value in
            if value == idsText { return "ids" }
            if value == attemptsText { return "attempts" }
            variables["complete_\(position)"] = value
            return "complete_\(position)"
        }
        guard completeSQL.contains(":ids"), completeSQL.contains(":attempts") else {
            throw BenchError("the completion statement no longer binds ids and attempts as arrays; update OwnSQLScript")
        }
        script = """
            WITH claimed AS (
            \(claimSQL)
            )
            SELECT array_agg(id) AS ids, array_agg(attempt) AS attempts
            FROM claimed
            \\gset
            \(completeSQL);

            """
        self.variables = variables
    }

    /// Replaces `$1…$n` (longest numbers first, so `$1` never eats `$10`) with `:name`, where `name`
    /// is what `variable` returns for that position and its bind value.
    private static func substitute(
        _ query: Query, variable: (_ position: Int, _ value: String) throws -> String
    ) throws -> String {
        var sql = query.sql
        for position in stride(from: query.binds.count, through: 1, by: -1) {
            guard let value = query.binds[position - 1] else {
                throw BenchError("bind $\(position) is NULL, which pgbench cannot pass")
            }
            sql = sql.replacingOccurrences(of: "$\(position)", with: ":" + (try variable(position, value)))
        }
        return sql
    }
}
