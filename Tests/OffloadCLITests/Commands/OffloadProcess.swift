import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// What one run of the `offload` binary did.
struct OffloadRun: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }

    /// Standard output parsed as JSON (Foundation's parser: an independent check of our writer).
    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8), options: [.fragmentsAllowed])
    }

    /// Standard output parsed as a JSON object.
    func jsonObject(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try json() as? [String: Any], "\(self)", sourceLocation: sourceLocation)
    }

    /// Standard output parsed as a JSON array of objects.
    func jsonArray(sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        try #require(try json() as? [[String: Any]], "\(self)", sourceLocation: sourceLocation)
    }
}

/// Runs the built `offload` executable as a child process, the way a person or a script would.
enum OffloadProcess {
    /// The executable: `$OFFLOAD_BIN` (the Makefile sets it), else the `offload` next to this test
    /// binary (SwiftPM puts both in the same products folder, whatever `--scratch-path` says).
    static func executable() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["OFFLOAD_BIN"], !path.isEmpty {
            return path
        }
        var candidates: [URL] = []
        #if os(Linux)
            if let testBinary = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
                candidates.append(URL(fileURLWithPath: testBinary).deletingLastPathComponent())
            }
        #endif
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for folder in candidates {
            let path = folder.appendingPathComponent("offload").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw MissingExecutable(
            description:
                "the offload executable is not next to the tests (looked in \(candidates.map(\.path))); build it or set OFFLOAD_BIN"
        )
    }

    struct MissingExecutable: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `offload arguments…` with `DATABASE_URL` set to `databaseURL` (removed when nil) and
    /// `input` on standard input, and waits for it to exit.
    static func run(
        _ arguments: [String], databaseURL: String?, input: String? = nil, environment extra: [String: String] = [:]
    ) async throws -> OffloadRun {
        let executable = try executable()
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        environment.merge(extra) { _, new in new }
        let childEnvironment = environment
        // Blocking waits belong on a Dispatch thread, not on Swift's cooperative pool.
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        try runBlocking(executable, arguments, environment: childEnvironment, input: input)
                    })
            }
        }
    }

    private static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String], input: String?
    ) throws -> OffloadRun {
        // Files rather than pipes: a chatty child can never block on a full pipe we are not reading.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("offload-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let paths = ["stdout", "stderr", "stdin"].map { folder.appendingPathComponent($0) }
        for (path, contents) in zip(paths, ["", "", input ?? ""]) {
            try Data(contents.utf8).write(to: path)
        }
        let stdout = try FileHandle(forWritingTo: paths[0])
        let stderr = try FileHandle(forWritingTo: paths[1])
        let stdin = try FileHandle(forReadingFrom: paths[2])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        process.waitUntilExit()
        try stdout.close()
        try stderr.close()
        try stdin.close()
        return OffloadRun(
            status: process.terminationStatus,
            stdout: try String(contentsOf: paths[0], encoding: .utf8),
            stderr: try String(contentsOf: paths[1], encoding: .utf8)
        )
    }
}

/// A fresh migrated database for one test, with its URL for the child process and a pool for checks.
func withCLIDatabase<T>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: (_ url: String, _ pool: ConnectionPool) async throws -> T
) async throws -> T {
    try await OffloadTestDatabase.withConfiguration { configuration in
        let pool = ConnectionPool(configuration, maxConnections: 4)
        defer { pool.close() }
        return try await body(configuration.connectionString(), pool)
    }
}

/// Puts a job in the dead-letter state with one error per message, as a worker would have.
func makeDead(
    _ id: Int64, pool: ConnectionPool, messages: [String] = ["deliberate failure"], finishedAgo: String = "1 second"
) async throws {
    let errors = try PGJSON(
        messages.enumerated().map { index, message in
            ["attempt": "\(index + 1)", "message": message, "type": "Failing", "worker": "test-worker"]
        })
    try await pool.execute(
        """
        UPDATE offload.jobs
        SET state = 'dead',
            attempt = \(messages.count),
            finished_at = now() - \(finishedAgo)::interval,
            errors = (
                SELECT jsonb_agg(e || jsonb_build_object('at', now(), 'attempt', (e->>'attempt')::int) ORDER BY (e->>'attempt')::int)
                FROM jsonb_array_elements(\(errors)::jsonb) AS e
            )
        WHERE id = \(id)
        """)
}

/// Arguments of the jobs the tests enqueue.
struct Greet: Codable, Sendable, Equatable {
    var name: String
}
