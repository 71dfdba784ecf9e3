import Logging
import PGClient
import Synchronization
import Testing

@testable import Offload

/// The outcome writer's batches, failures and retries, with a stand-in for the database and a manual
/// clock. What matters most: a job whose outcome is not written is always among `unwrittenJobIDs`
/// (the heartbeat renews exactly those leases), whatever the writer is doing.
@Suite("OutcomeWriter, without a database")
struct OutcomeWriterTests {
    typealias Writer = OutcomeWriter<ManualClock>

    /// Records the batches written and fails the writes the test asks to fail.
    final class FakeDatabase: Sendable {
        struct Lost: Error {}
        private struct State {
            var written: [JobOutcome] = []
            var attempts = 0
            var seenWhileWriting: [[Int64]] = []
            var writer: Writer?
        }
        private let state = Mutex(State())
        /// Which write attempts (1-based) fail with a lost connection.
        let failing: Set<Int>
        /// Jobs whose outcome PostgreSQL refuses as data (a rejected jsonb, say).
        let rejected: Set<Int64>

        init(failing: Set<Int> = [], rejected: Set<Int64> = []) {
            self.failing = failing
            self.rejected = rejected
        }

        func attach(_ writer: Writer) { state.withLock { $0.writer = writer } }
        var written: [JobOutcome] { state.withLock { $0.written } }
        var attempts: Int { state.withLock { $0.attempts } }
        /// `unwrittenJobIDs` as the writer reported it during each write.
        var seenWhileWriting: [[Int64]] { state.withLock { $0.seenWhileWriting } }

        func write(_ batch: [JobOutcome]) throws {
            let writer = state.withLock { $0.writer }
            let seen = writer?.unwrittenJobIDs ?? []
            try state.withLock { state in
                state.attempts += 1
                state.seenWhileWriting.append(seen)
                if failing.contains(state.attempts) { throw Lost() }
                if batch.contains(where: { rejected.contains($0.jobID) && !$0.isUnstorable }) {
                    throw PGError(.server, "unsupported Unicode escape sequence", sqlState: SQLState("22P05"))
                }
                state.written += batch
            }
        }
    }

    let clock = ManualClock()

    func writer(_ database: FakeDatabase, maxBatch: Int = 5_000, written: Writer.Written? = nil) -> Writer {
        let writer = Writer(maxBatch: maxBatch, logger: Logger(label: "test"), clock: clock, written: written) {
            batch in
            await Task.yield()  // a real write suspends: let a concurrent reader in
            try database.write(batch)
        }
        database.attach(writer)
        return writer
    }

    static func completion(_ id: Int64) -> JobOutcome {
        .completed(.init(jobID: id, attempt: 1, result: nil))
    }

    // MARK: - The state machine

    @Test func aBatchInFlightIsStillUnwritten() {
        var machine = OutcomeWriterStateMachine(maxBatch: 2)
        for id in 1...3 { machine.add(Self.completion(Int64(id))) }
        #expect(machine.nextBatch().map(\.jobID) == [1, 2])
        #expect(machine.unwrittenJobIDs.sorted() == [1, 2, 3])
        machine.add(Self.completion(4))
        #expect(machine.unwrittenJobIDs.sorted() == [1, 2, 3, 4])
        machine.batchWritten()
        #expect(machine.unwrittenJobIDs.sorted() == [3, 4])
        #expect(machine.nextBatch().map(\.jobID) == [3, 4])
        machine.batchWritten()
        #expect(machine.isEmpty)
        #expect(machine.nextBatch().isEmpty)
    }

    /// A failed batch is retried before the outcomes that arrived while it was in flight.
    @Test func aFailedBatchGoesBackInFront() {
        var machine = OutcomeWriterStateMachine(maxBatch: 2)
        for id in 1...3 { machine.add(Self.completion(Int64(id))) }
        _ = machine.nextBatch()
        machine.add(Self.completion(4))
        machine.batchFailed()
        #expect(machine.unwrittenJobIDs == [1, 2, 3, 4])
        #expect(machine.nextBatch().map(\.jobID) == [1, 2])
    }

    // MARK: - The writer

    @Test func writesEverythingInBatchesAndReportsItUnwrittenWhileWriting() async {
        let database = FakeDatabase()
        let writer = writer(database, maxBatch: 2)
        for id in 1...5 { writer.add(Self.completion(Int64(id))) }
        #expect(await writer.writePending(retryUntil: nil))
        #expect(database.written.map(\.jobID) == [1, 2, 3, 4, 5])
        #expect(database.seenWhileWriting.map { $0.sorted() } == [[1, 2, 3, 4, 5], [3, 4, 5], [5]])
        #expect(writer.isEmpty)
        #expect(writer.unwrittenJobIDs.isEmpty)
    }

    /// A lost connection: the batch waits out the backoff on the clock, still counted unwritten (so
    /// its leases are renewed), and is written on the retry.
    @Test func aFailedWriteIsRetriedAfterTheBackoffAndNeverLooksWritten() async {
        let database = FakeDatabase(failing: [1, 2])
        let writer = writer(database)
        for id in 1...3 { writer.add(Self.completion(Int64(id))) }
        let flush = Task { await writer.writePending(retryUntil: nil) }

        await clock.sleepers(atLeast: 1)
        #expect(writer.unwrittenJobIDs.sorted() == [1, 2, 3])
        writer.add(Self.completion(4))  // arrives during the backoff
        clock.advance(by: .milliseconds(50))
        // The second failure doubles the backoff: 50 ms more is not enough.
        await clock.sleepers(atLeast: 1)
        #expect(database.attempts == 2)
        clock.advance(by: .milliseconds(50))
        #expect(database.attempts == 2)
        #expect(writer.unwrittenJobIDs.sorted() == [1, 2, 3, 4])
        clock.advance(by: .milliseconds(50))

        #expect(await flush.value)
        #expect(database.attempts == 3)
        #expect(database.written.map(\.jobID) == [1, 2, 3, 4])
        #expect(database.seenWhileWriting.allSatisfy { $0.count >= 3 })
        #expect(writer.isEmpty)
    }

    /// A final flush that runs out of time says so, and keeps every outcome for a later try.
    @Test func aWriteThatFailsPastTheDeadlineGivesUpKeepingItsOutcomes() async {
        let database = FakeDatabase(failing: [1])
        let writer = writer(database)
        for id in 1...2 { writer.add(Self.completion(Int64(id))) }
        #expect(await writer.writePending(retryUntil: clock.now.advanced(by: .milliseconds(49))) == false)
        #expect(writer.unwrittenJobIDs == [1, 2])
        #expect(await writer.writePending(retryUntil: clock.now))
        #expect(database.written.map(\.jobID) == [1, 2])
    }

    /// One outcome PostgreSQL refuses fails its batch halfway: the batch is split until that outcome is
    /// alone, the others are written, and the refused one is recorded as dead with the reason.
    @Test func aBatchThatFailsHalfwayWritesTheRestAndBuriesTheRefusedOutcome() async throws {
        let database = FakeDatabase(rejected: [3])
        let writer = writer(database)
        for id in 1...6 { writer.add(Self.completion(Int64(id))) }
        #expect(await writer.writePending(retryUntil: nil))

        let written = database.written
        #expect(written.map(\.jobID).sorted() == [1, 2, 3, 4, 5, 6])
        let buried = try #require(written.first { $0.jobID == 3 })
        guard case .settled(let settlement) = buried else {
            Issue.record("the refused outcome was not replaced")
            return
        }
        #expect(settlement.state == .dead)
        #expect(settlement.errorType == "UnstorableOutcome")
        #expect(settlement.message?.contains("could not store the result") == true)
        // Every write, the splitting ones included, still reported all six as unwritten.
        #expect(database.seenWhileWriting.allSatisfy { $0.sorted() == [1, 2, 3, 4, 5, 6] })
        #expect(writer.isEmpty)
    }

    /// The worker's observer hears of each outcome once its write committed, as it was recorded: not
    /// after a write that failed, and a refused outcome as the dead settlement that replaced it.
    @Test func reportsWhatEachWriteRecordedOnceItCommitted() async {
        let database = FakeDatabase(failing: [1], rejected: [2])
        let reported = Mutex<[(id: Int64, state: JobState, writtenBefore: Bool)]>([])
        let writer = writer(database, maxBatch: 2) { outcomes in
            let written = Set(database.written.map(\.jobID))
            reported.withLock { $0 += outcomes.map { ($0.jobID, $0.state, written.contains($0.jobID)) } }
        }
        for id in 1...3 { writer.add(Self.completion(Int64(id))) }
        #expect(await writer.writePending(retryUntil: clock.now) == false)
        #expect(reported.withLock { $0.isEmpty })
        #expect(await writer.writePending(retryUntil: nil))
        let events = reported.withLock { $0 }
        #expect(events.map(\.id) == [1, 2, 3])
        #expect(events.map(\.state) == [.completed, .dead, .completed])
        #expect(events.allSatisfy { $0.writtenBefore })
    }

    /// A reader running alongside the writer, failures included, never finds a job in neither list:
    /// every job it does not see as unwritten was written already.
    @Test func aConcurrentReaderNeverMissesAnUnwrittenJob() async {
        let database = FakeDatabase(failing: Set(stride(from: 2, through: 60, by: 3)))
        let writer = writer(database, maxBatch: 7)
        let all = Set((1...300).map(Int64.init))
        for id in all.sorted() { writer.add(Self.completion(id)) }
        let done = Atomic<Bool>(false)
        let reader = Task {
            var misses = 0
            var reads = 0
            repeat {
                let unwritten = Set(writer.unwrittenJobIDs)
                let written = Set(database.written.map(\.jobID))
                if !all.subtracting(written).isSubset(of: unwritten) { misses += 1 }
                reads += 1
                await Task.yield()
            } while !done.load(ordering: .acquiring)
            return (misses, reads)
        }
        while await !writer.writePending(retryUntil: clock.now) {}
        done.store(true, ordering: .releasing)
        let (misses, reads) = await reader.value
        #expect(misses == 0)
        #expect(reads > 0)
        #expect(Set(database.written.map(\.jobID)) == all)
    }

    @Test func rejectedDataIsToldApartFromALostConnection() {
        #expect(Writer.isRejectedData(PGError(.server, "x", sqlState: SQLState("22P05"))))
        #expect(Writer.isRejectedData(PGError(.server, "x", sqlState: SQLState("54000"))))
        #expect(Writer.isRejectedData(PGError(.encoding, "x")))
        #expect(!Writer.isRejectedData(PGError(.server, "x", sqlState: SQLState("40P01"))))
        #expect(!Writer.isRejectedData(PGError(.connectionLost, "x")))
        #expect(!Writer.isRejectedData(FakeDatabase.Lost()))
    }
}

extension JobOutcome {
    /// Whether this is the dead settlement that replaces an outcome PostgreSQL refused.
    var isUnstorable: Bool {
        if case .settled(let settlement) = self { settlement.errorType == "UnstorableOutcome" } else { false }
    }
}
