import Foundation
import Testing

@testable import OffloadLocalPostgres

@Suite("Subprocess")
struct SubprocessTests {
    @Test func capturesOutputAndStatus() async throws {
        let result = try await Subprocess.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(result.status == 3)
        #expect(result.output.contains("out"))
        #expect(result.output.contains("err"))
    }

    @Test func shellQuotingSurvivesTheShell() async throws {
        let word = #"it's "quoted" $HOME"#
        let result = try await Subprocess.run("/bin/sh", ["-c", "printf %s " + Subprocess.shellQuote(word)])
        #expect(result.output == word)
    }

    /// The daemon that `pg_ctl start` leaves behind must not hold Foundation's exit-watch socket,
    /// or `Process.waitUntilExit()` waits for the daemon instead of for its parent.
    @Test(.timeLimit(.minutes(1)))
    func daemonLeftBehindDoesNotHoldUsUp() async throws {
        let daemon = try Subprocess.closingInheritedDescriptors(
            "/bin/sh", ["-c", "sleep 20 </dev/null >/dev/null 2>&1 & echo started"])
        let clock = ContinuousClock()
        let started = clock.now
        let result = try await Subprocess.run(daemon.executable, daemon.arguments)
        #expect(result.output.contains("started"))
        #expect(clock.now - started < .seconds(10))
    }

    @Test func whichFindsExecutablesOnTheSearchPath() {
        #expect(Subprocess.which("sh", searchPath: "/nonexistent:/bin:/usr/bin") != nil)
        #expect(Subprocess.which("no-such-program-here", searchPath: "/bin:/usr/bin") == nil)
    }
}
