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
    /// or `Process.waitUntilExit()` waits for the daemon instead of for its parent. The daemon here
    /// lives for ten minutes unless the test ends it: `run` returning while it is still alive is the
    /// proof (were `run` to wait for it, the time limit would end the test).
    @Test(.timeLimit(.minutes(1)))
    func daemonLeftBehindDoesNotHoldUsUp() async throws {
        let daemon = try Subprocess.closingInheritedDescriptors(
            "/bin/sh", ["-c", "sleep 600 </dev/null >/dev/null 2>&1 & echo \"started $!\""])
        let result = try await Subprocess.run(daemon.executable, daemon.arguments)
        let started = try #require(result.output.split(whereSeparator: \.isNewline).first { $0.hasPrefix("started ") })
        let pid = try #require(pid_t(started.dropFirst("started ".count)))
        defer { kill(pid, SIGKILL) }
        #expect(kill(pid, 0) == 0, "the daemon is still there")
    }

    @Test func whichFindsExecutablesOnTheSearchPath() {
        #expect(Subprocess.which("sh", searchPath: "/nonexistent:/bin:/usr/bin") != nil)
        #expect(Subprocess.which("no-such-program-here", searchPath: "/bin:/usr/bin") == nil)
    }
}
