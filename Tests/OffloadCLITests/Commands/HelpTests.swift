import Foundation
import Testing

/// Every command explains itself, without a database.
@Suite("offload --help")
struct HelpTests {
    @Test(arguments: [
        [], ["status"], ["jobs"], ["jobs", "list"], ["jobs", "show"], ["jobs", "retry"], ["jobs", "cancel"],
        ["send"], ["enqueue"], ["prune"], ["migrate"], ["local"],
    ])
    func helpExitsZeroWithUsage(command: [String]) async throws {
        let run = try await OffloadProcess.run(command + ["--help"], databaseURL: nil)
        #expect(run.status == 0, "\(run)")
        #expect(
            run.stdout.contains("USAGE: offload \(command.joined(separator: " "))".trimmingCharacters(in: .whitespaces))
        )
        #expect(run.stdout.contains("OVERVIEW:"))
    }
}
