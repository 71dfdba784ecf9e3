import Dispatch
import Offload
import Synchronization

/// Records what a worker does (a `WorkerEvent` each time it starts, claims, goes idle, is woken by a
/// notification, starts or finishes a job, stops), so a test waits for the event it needs instead of
/// sleeping. Pass it to `testWorker(pool:functions:events:)`.
///
/// ```swift
/// let events = WorkerEvents()
/// let worker = testWorker(pool: pool, functions: [greet], events: events)
/// try await whileRunning(worker) {
///     try await events.waitFor(.idle)
///     let id = try await offload.enqueue(Greet(name: "Ada"))
///     #expect(try await events.finished(id) == .completed)
/// }
/// ```
///
/// Every wait has a generous ceiling (`defaultTimeout`, 60 seconds) and, when it passes, throws a
/// `WorkerEventsTimeout` naming the wait and listing the events seen, rather than hanging the test.
/// A ceiling is never a timing assertion: a test that waits for an event asserts that it happens.
///
/// Events are kept, so nothing is missed between two waits. `first(where:)` looks at every event
/// since the worker was created; `next(where:)` only at those after what the previous `next` returned,
/// for waiting on a sequence ("listening, then idle"). Events that different tasks of the worker
/// report are in the order they were recorded, which across tasks is not always the order things
/// happened in (see `WorkerEvent`).
public final class WorkerEvents: Sendable {
    /// How long a wait lasts by default before it throws: 60 seconds, room enough for a loaded
    /// two-core machine running the rest of a suite.
    public static let defaultTimeout: Duration = .seconds(60)

    private struct Waiter {
        /// The first event index this waiter may match.
        let from: Int
        /// Whether a match moves the cursor past it (`next`) or not (`first`).
        let advancesCursor: Bool
        let predicate: @Sendable (WorkerEvent) -> Bool
        let continuation: CheckedContinuation<WorkerEvent, any Error>
    }

    private struct State {
        var events: [WorkerEvent] = []
        /// Where `next(where:)` looks from: just past the event it last returned.
        var cursor = 0
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiterID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates an empty recorder.
    public init() {}

    /// Every event recorded so far, oldest first.
    public var all: [WorkerEvent] { state.withLock { $0.events } }

    /// How many waits are waiting (for tests of the recorder itself).
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Moves `next`'s cursor past every event recorded so far: the next `next` waits for something
    /// that happens from now on (say, after the test released a lock).
    public func skipToNow() {
        state.withLock { $0.cursor = $0.events.count }
    }

    /// Records `event` and wakes the waits it satisfies (the worker calls it, through `observer`).
    func record(_ event: WorkerEvent) {
        let matched = state.withLock { state -> [CheckedContinuation<WorkerEvent, any Error>] in
            let index = state.events.count
            state.events.append(event)
            var matched: [CheckedContinuation<WorkerEvent, any Error>] = []
            for (id, waiter) in state.waiters where waiter.from <= index && waiter.predicate(event) {
                state.waiters.removeValue(forKey: id)
                if waiter.advancesCursor { state.cursor = max(state.cursor, index + 1) }
                matched.append(waiter.continuation)
            }
            return matched
        }
        for continuation in matched { continuation.resume(returning: event) }
    }

    /// The observer to hand a worker (`testWorker` does).
    var observer: @Sendable (WorkerEvent) -> Void {
        { [self] event in record(event) }
    }

    /// What a new wait found under the lock.
    private enum Start {
        case found(WorkerEvent)
        case cancelled
        case waiting
    }

    /// Waits for the first event after the one the previous `next` returned (or since the start)
    /// that matches `predicate`, and moves past it. Use it for events that must come in order.
    ///
    /// - Throws: `WorkerEventsTimeout` when none comes within `timeout` (defaults to 60 seconds).
    @discardableResult
    public func next(
        timeout: Duration = WorkerEvents.defaultTimeout,
        fileID: String = #fileID,
        line: Int = #line,
        where predicate: @escaping @Sendable (WorkerEvent) -> Bool
    ) async throws -> WorkerEvent {
        try await wait(advancingCursor: true, timeout: timeout, at: "\(fileID):\(line)", predicate)
    }

    /// Waits for the first event since the worker was created that matches `predicate`: returns at
    /// once if it happened already. Does not move `next`'s cursor.
    ///
    /// - Throws: `WorkerEventsTimeout` when none comes within `timeout` (defaults to 60 seconds).
    @discardableResult
    public func first(
        timeout: Duration = WorkerEvents.defaultTimeout,
        fileID: String = #fileID,
        line: Int = #line,
        where predicate: @escaping @Sendable (WorkerEvent) -> Bool
    ) async throws -> WorkerEvent {
        try await wait(advancingCursor: false, timeout: timeout, at: "\(fileID):\(line)", predicate)
    }

    /// Waits for the next `event` (as `next(where:)` does), e.g. `waitFor(.idle)`.
    ///
    /// - Throws: `WorkerEventsTimeout` when it does not come within `timeout` (defaults to 60 seconds).
    public func waitFor(
        _ event: WorkerEvent,
        timeout: Duration = WorkerEvents.defaultTimeout,
        fileID: String = #fileID,
        line: Int = #line
    ) async throws {
        try await next(timeout: timeout, fileID: fileID, line: line) { $0 == event }
    }

    /// Waits until an attempt of job `id` has started, and returns its number (the first attempt's,
    /// when there were several).
    ///
    /// - Throws: `WorkerEventsTimeout` when none starts within `timeout` (defaults to 60 seconds).
    @discardableResult
    public func started(
        _ id: Int64,
        timeout: Duration = WorkerEvents.defaultTimeout,
        fileID: String = #fileID,
        line: Int = #line
    ) async throws -> Int {
        let event = try await first(timeout: timeout, fileID: fileID, line: line) { $0.startedJobID == id }
        guard case .jobStarted(_, _, let attempt) = event else { preconditionFailure("matched \(event)") }
        return attempt
    }

    /// Waits until job `id` has an attempt's outcome recorded, and returns the state written (the
    /// first attempt's, when it ran more than once).
    ///
    /// - Throws: `WorkerEventsTimeout` when it does not finish within `timeout` (defaults to 60 seconds).
    @discardableResult
    public func finished(
        _ id: Int64,
        timeout: Duration = WorkerEvents.defaultTimeout,
        fileID: String = #fileID,
        line: Int = #line
    ) async throws -> JobState {
        let event = try await first(timeout: timeout, fileID: fileID, line: line) { $0.finishedJobID == id }
        guard case .jobFinished(_, _, let state) = event else { preconditionFailure("matched \(event)") }
        return state
    }

    // MARK: - Waiting

    private func wait(
        advancingCursor: Bool,
        timeout: Duration,
        at location: String,
        _ predicate: @escaping @Sendable (WorkerEvent) -> Bool
    ) async throws -> WorkerEvent {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WorkerEvent, any Error>) in
                let start = state.withLock { state -> Start in
                    let from = advancingCursor ? state.cursor : 0
                    if let index = state.events[from...].firstIndex(where: predicate) {
                        if advancingCursor { state.cursor = index + 1 }
                        return .found(state.events[index])
                    }
                    // Checked under the lock that `give(up:)` takes: a cancellation either shows here
                    // or finds the waiter registered.
                    if Task.isCancelled { return .cancelled }
                    state.waiters[id] = Waiter(
                        from: state.events.count, advancesCursor: advancingCursor, predicate: predicate,
                        continuation: continuation
                    )
                    return .waiting
                }
                switch start {
                case .found(let event):
                    continuation.resume(returning: event)
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .waiting:
                    // A Dispatch timer rather than a task racing the wait: it needs no task of its own
                    // and fails the waiter only if no event got there first (one removal wins). At
                    // most 68 years: a `Duration` can say more than Dispatch can.
                    let nanoseconds = max(0, min(timeout.saturatingNanoseconds, Int64(Int32.max) * 1_000_000_000))
                    DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) {
                        [weak self] in
                        self?.give(up: id) { seen in
                            WorkerEventsTimeout(location: location, timeout: timeout, seen: seen)
                        }
                    }
                }
            }
        } onCancel: {
            give(up: id) { _ in CancellationError() }
        }
    }

    /// Fails waiter `id` with `error` if it still waits.
    private func give(up id: UInt64, with error: ([WorkerEvent]) -> any Error) {
        let (waiter, seen) = state.withLock { state in (state.waiters.removeValue(forKey: id), state.events) }
        waiter?.continuation.resume(throwing: error(seen))
    }
}

/// A `WorkerEvents` wait that ran out of time: which wait, and every event the worker reported.
public struct WorkerEventsTimeout: Error, CustomStringConvertible {
    /// The file and line of the wait.
    public let location: String
    /// How long the wait lasted.
    public let timeout: Duration
    /// What the worker reported, oldest first.
    public let seen: [WorkerEvent]

    /// The wait, then the last 40 events.
    public var description: String {
        let shown = seen.suffix(40).map(\.description)
        let omitted = seen.count > shown.count ? "… (\(seen.count - shown.count) earlier), " : ""
        let events =
            seen.isEmpty
            ? "nothing (was the worker created with these events, and running?)"
            : omitted + shown.joined(separator: ", ")
        return "no matching worker event within \(timeout) (the wait at \(location)); the worker reported: \(events)"
    }
}

extension WorkerEvent {
    /// The job an attempt started for (`jobStarted`), else nil.
    public var startedJobID: Int64? {
        if case .jobStarted(let id, _, _) = self { return id }
        return nil
    }

    /// The job whose outcome was recorded (`jobFinished`), else nil.
    public var finishedJobID: Int64? {
        if case .jobFinished(let id, _, _) = self { return id }
        return nil
    }
}
