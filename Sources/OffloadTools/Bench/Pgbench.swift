import Foundation
import OffloadLocalPostgres

/// Runs PostgreSQL's pgbench with a custom script and reads back its transactions per second.
struct Pgbench: Sendable {
    /// The pgbench program.
    let executable: String
    /// Where scripts are written.
    let scratchDirectory: String

    /// pgbench beside the server programs, else on `PATH`; nil when it is not installed.
    static func find() async -> Pgbench? {
        let path = ProcessInfo.processInfo.environment["PATH"]
        var candidates: [String] = []
        if let binaries = try? await PostgresBinaries.find() { candidates.append(binaries.directory + "/pgbench") }
        if let onPath = Subprocess.which("pgbench", searchPath: path) { candidates.append(onPath) }
        guard let executable = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            return nil
        }
        return Pgbench(executable: executable, scratchDirectory: NSTemporaryDirectory())
    }

    /// Runs `script` on `clients` connections, each running it `transactionsPerClient` times, and
    /// returns pgbench's transactions per second (without connection time).
    ///
    /// The extended protocol sends each statement unnamed with its parameters, as libpq's
    /// `PQexecParams` does for the worker, so the server plans both alike (custom plans).
    func run(
        script: String, name: String, variables: [String: String], clients: Int, transactionsPerClient: Int,
        target: String
    ) async throws -> Double {
        let scriptFile = scratchDirectory + "/offload-bench-\(name)-\(getpid()).sql"
        try script.write(toFile: scriptFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptFile) }
        var arguments = [
            "--no-vacuum", "--protocol=extended", "--file=\(scriptFile)",
            "--client=\(clients)", "--jobs=\(clients)", "--transactions=\(transactionsPerClient)",
        ]
        for (key, value) in variables.sorted(by: { $0.key < $1.key }) { arguments.append("--define=\(key)=\(value)") }
        arguments.append(target)
        let result = try await Subprocess.run(executable, arguments)
        guard result.succeeded, let tps = Self.transactionsPerSecond(in: result.output) else {
            throw BenchError("pgbench failed (\(name), \(clients) clients):\n\(result.output.suffix(2_000))")
        }
        return tps
    }

    /// Reads `tps = 1234.5 (without initial connection time)` from pgbench's report.
    static func transactionsPerSecond(in output: String) -> Double? {
        for line in output.split(separator: "\n") where line.hasPrefix("tps = ") {
            let number = line.dropFirst("tps = ".count).prefix { $0.isNumber || $0 == "." }
            return Double(number)
        }
        return nil
    }
}
