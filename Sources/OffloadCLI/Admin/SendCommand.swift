import ArgumentParser
import Foundation
import Offload
import PGClient

/// `offload send NAME JSON`: send an event from a shell script or cron.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send an event: one job per function subscribed to its name.",
        discussion: """
            Prints the event id on standard output, and the jobs it created on standard error. With an \
            --idempotency-key used before, nothing new is created and the first event's id is printed.

            Example:
              offload send api/source.connected '{"sourceId": 1, "userId": 7}'
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("The event name, e.g. api/source.connected.", valueName: "name"))
    var name: String

    @Argument(
        help: ArgumentHelp("The event data: a JSON object, or - to read it from standard input.", valueName: "json"))
    var data = "{}"

    @Option(name: .customLong("idempotency-key"), help: ArgumentHelp("Send at most once per key.", valueName: "key"))
    var idempotencyKey: String?

    func run() async throws {
        let json = try JSONArgument.object(data, role: "event data")
        let offload = try await database.offload()
        defer { offload.pool.close() }
        let eventID = try await offload.send(name: name, json: json, idempotencyKey: idempotencyKey)
        print(eventID)
        let jobs: [JobInfo]
        do {
            jobs = try await offload.listJobs(JobFilter(eventID: eventID, limit: 1000))
        } catch let error as PGError where error.sqlState == .insufficientPrivilege {
            // An offload_enqueuer login may send but not read jobs (docs/security.md): the event is
            // sent, which is all this command promises.
            FileHandle.standardError.write(
                Data("event \(eventID) sent (this login may not read the jobs it created)\n".utf8))
            return
        }
        let note: String
        if jobs.isEmpty {
            note =
                "event \(eventID) stored; no function subscribes to \"\(name.escapingControlCharacters)\", so it created no jobs"
        } else {
            let list = jobs.reversed().map { "\($0.id) (\($0.function.escapingControlCharacters))" }.joined(
                separator: ", ")
            note = "event \(eventID): job\(jobs.count == 1 ? "" : "s") \(list)"
        }
        FileHandle.standardError.write(Data((note + "\n").utf8))
    }
}
