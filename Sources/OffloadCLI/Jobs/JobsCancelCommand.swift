import ArgumentParser
import Offload

/// `offload jobs cancel ID…`.
struct JobsCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel jobs: waiting ones at once; running ones at their worker's next heartbeat.",
        discussion: "Finished jobs are left as they are. Exits non-zero if an id does not exist."
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "Ids of the jobs to cancel.", transform: JobIDArgument.parse)
    var ids: [Int64]

    @Flag(help: "Print JSON (see docs/cli-json.md).")
    var json = false

    func validate() throws {
        if ids.isEmpty { throw ValidationError("give the ids of the jobs to cancel.") }
    }

    func run() async throws {
        let offload = try await database.offload()
        defer { offload.pool.close() }
        let cancellations = try await offload.cancelJobs(ids)
        if json {
            print(JSONOutput.cancellations(cancellations).rendered())
        } else {
            for cancellation in cancellations {
                let id = cancellation.jobID
                switch cancellation.outcome {
                case .cancelled: print("cancelled job \(id)")
                case .cancelRequested: print("asked the worker running job \(id) to cancel it")
                case .alreadyFinished(let state): print("job \(id) is \(state.rawValue) already; left as it is")
                case .notFound: break
                }
            }
        }
        let missing = cancellations.filter { $0.outcome == .notFound }.map(\.jobID)
        if !missing.isEmpty {
            throw CLIError(missing.map { "no job \($0)" }.joined(separator: "\nerror: "))
        }
    }
}
