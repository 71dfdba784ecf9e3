import Foundation
import Logging
import Offload
import OffloadTestKit
import PGClient
import Synchronization
import Testing

/// Issue 13, finding 4: a job's function and queue names go into log metadata escaped, so a newline or
/// an escape sequence in a stored name cannot forge a log line or steer the terminal showing the log.
@Suite("Log metadata of hostile names")
struct LogInjectionTests {
    /// Keeps every log record's metadata, for the test to read.
    final class Capture: Sendable {
        let records = Mutex<[Logger.Metadata]>([])

        func handler(label: String) -> some LogHandler { Handler(capture: self) }

        struct Handler: LogHandler {
            let capture: Capture
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .debug

            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }

            func log(event: LogEvent) {
                let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
                capture.records.withLock { $0.append(merged) }
            }
        }
    }

    @Test func jobMetadataIsEscaped() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let id = try await Offload(pool: pool).enqueue(function: "plain", arguments: ["n": 1])
            let hostile = "line\n2026-01-01 fake: \u{1B}[2Jcleared"
            try await pool.execute("UPDATE offload.jobs SET function = \(hostile), queue = 'default' WHERE id = \(id)")
            let capture = Capture()
            var logger = Logger(label: "offload.test-worker") { capture.handler(label: $0) }
            logger.logLevel = .debug
            let worker = Worker(pool: pool, functions: [], logger: logger)
            try await worker.runUntilEmpty()

            let functions = capture.records.withLock { records in records.compactMap { $0["function"].map { "\($0)" } }
            }
            #expect(!functions.isEmpty, "the unknown function is logged with the job's metadata")
            for value in functions {
                #expect(value == #"line\n2026-01-01 fake: \u001b[2Jcleared"#)
            }
            #expect(try await JobRow.find(id, in: pool)?.errors.isEmpty == false)
        }
    }
}
