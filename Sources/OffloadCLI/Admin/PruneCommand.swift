import ArgumentParser
import Foundation
import Offload

/// `offload prune`: delete old finished jobs, in small batches.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete finished jobs older than a cut-off (completed and cancelled by default).",
        discussion: """
            Deletes in batches, each its own short transaction, so it never holds a huge one and can be \
            interrupted safely. Workers prune on their own as well (see MaintenanceConfiguration); this \
            is for a one-off clean-up or a cron job. Dead jobs are only deleted when asked for.

            Example:
              offload prune --older-than 30d --state completed --state cancelled --state dead
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(
        name: .customLong("older-than"),
        help: ArgumentHelp("Delete jobs that finished longer ago than this, e.g. 12h, 7d.", valueName: "duration"),
        transform: { text in try DurationParser.parseAgo(text) })
    var olderThan: Duration = .seconds(7 * 86_400)

    @Option(
        name: .customLong("state"),
        help: ArgumentHelp(
            "Which finished jobs: completed, cancelled or dead; repeat or separate with commas. Defaults to completed and cancelled.",
            valueName: "state"))
    var stateNames: [String] = []

    @Option(name: .customLong("batch-size"), help: "Rows deleted per statement.")
    var batchSize = 5_000

    @Flag(help: "Print JSON (see docs/cli-json.md).")
    var json = false

    func validate() throws {
        let states = try JobStateArgument.parse(stateNames, option: "--state")
        if let unfinished = states.first(where: { !$0.isFinished }) {
            throw ValidationError(
                "--state \(unfinished.rawValue): only finished jobs (completed, cancelled, dead) can be pruned.")
        }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
    }

    func run() async throws {
        var states = try JobStateArgument.parse(stateNames, option: "--state")
        if states.isEmpty { states = [.completed, .cancelled] }
        let offload = try await database.offload()
        defer { offload.pool.close() }
        let deleted = try await offload.prune(olderThan: olderThan, states: Set(states), batchSize: batchSize)
        if json {
            print(
                JSONValue.fields([
                    "deleted": .int(deleted),
                    "states": .strings(states.map(\.rawValue)),
                    "older_than_seconds": .double(olderThan.seconds),
                ]).rendered())
        } else {
            let names = states.map(\.rawValue).joined(separator: ", ")
            print(
                "deleted \(deleted) job\(deleted == 1 ? "" : "s") (\(names)) that finished more than \(DurationParser.format(olderThan)) ago"
            )
        }
    }
}
