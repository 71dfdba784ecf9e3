import ArgumentParser
import Offload

/// `offload jobs`: list, inspect, re-run and cancel jobs.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List, inspect, re-run and cancel jobs.",
        discussion: """
            Job states: available (waiting), running, retryable (backing off after a failure), \
            completed, dead (out of attempts: the dead-letter state) and cancelled.
            """,
        subcommands: [
            JobsListCommand.self,
            JobsShowCommand.self,
            JobsRetryCommand.self,
            JobsCancelCommand.self,
        ]
    )
}

/// Parses job states as the commands accept them: repeated or comma-separated, case-insensitive.
enum JobStateArgument {
    static func parse(_ values: [String], option: String) throws -> [JobState] {
        var states: [JobState] = []
        for value in values.flatMap({ $0.split(separator: ",") }) {
            let name = value.trimmingSpaces.lowercased()
            guard let state = JobState(rawValue: name) else {
                let known = JobState.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("unknown state \"\(value)\" for \(option); states are: \(known)")
            }
            if !states.contains(state) { states.append(state) }
        }
        return states
    }
}

/// Parses a job id argument.
enum JobIDArgument {
    static func parse(_ text: String) throws -> Int64 {
        guard let id = Int64(text.trimmingSpaces), id > 0 else {
            throw ValidationError("\"\(text)\" is not a job id (a positive whole number)")
        }
        return id
    }
}
