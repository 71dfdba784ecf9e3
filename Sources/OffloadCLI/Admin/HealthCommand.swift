import ArgumentParser
import Foundation
import Offload

/// `offload health`: what keeps the job tables healthy over days, in plain words.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check vacuum, what holds it back, stuck leases, maintenance and the claim's speed.",
        discussion: """
            Reads the view offload.health and measures one claim (rolled back, so no job changes \
            hands). Each check says what it found and, when something is wrong, what to do: a \
            transaction open for hours (a forgotten BEGIN, an analytics query) or an abandoned \
            replication slot holds back vacuum, dead rows pile up and claims slow down.

            Exits 0 when every check is ok or a warning, 1 when one reports a problem.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print JSON (see docs/cli-json.md) instead of a table.")
    var json = false

    func run() async throws {
        let offload = try await database.offload()
        defer { offload.pool.close() }
        let checks = try await offload.health()
        print(json ? JSONOutput.health(checks).rendered(pretty: true) : Self.render(checks))
        if checks.contains(where: { $0.status == .problem }) { throw ExitCode(1) }
    }

    /// The human form: a table of checks, then what to do about each that is not ok.
    static func render(_ checks: [HealthCheck]) -> String {
        var rows = [["CHECK", "STATUS", "FOUND"]]
        for check in checks {
            rows.append([check.name, check.status.rawValue.uppercased(), check.summary])
        }
        var text = TextTable.render(rows)
        let advice = checks.filter { $0.advice != nil && $0.status != .ok }.sorted { $0.status > $1.status }
        if advice.isEmpty {
            text += "\n\nAll good."
        } else {
            text += "\n\nWhat to do:"
            for check in advice {
                text += "\n- \(check.name.escapingControlCharacters): \((check.advice ?? "").escapingControlCharacters)"
            }
        }
        return text
    }
}
