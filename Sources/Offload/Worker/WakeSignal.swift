import Dispatch
import Synchronization

/// A wake-up call for one waiting loop: `signal()` from anywhere, `wait(timeout:)` in the loop.
/// A signal sent while nobody waits is remembered, so no wake-up is ever lost.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Numbers the waits, so that a timer set for an earlier wait never ends a later one.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Calls its closure once the duration has passed; a Dispatch timer, or a manual one in tests.
    private let scheduleTimer: @Sendable (Duration, @escaping @Sendable () -> Void) -> Void

    init(
        scheduleTimer: @escaping @Sendable (Duration, @escaping @Sendable () -> Void) -> Void = WakeSignal.dispatchTimer
    ) {
        self.scheduleTimer = scheduleTimer
    }

    /// Runs `fire` on a global queue after `timeout` (at most 68 years: a `Duration` can say more
    /// than Dispatch can).
    static func dispatchTimer(_ timeout: Duration, _ fire: @escaping @Sendable () -> Void) {
        let nanoseconds = max(0, min(timeout.saturatingNanoseconds, Int64(Int32.max) * 1_000_000_000))
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds)), execute: fire)
    }

    /// Whether a wait is in progress (for tests).
    var isWaiting: Bool { state.withLock { $0.waiter != nil } }

    /// Wakes the waiter, or makes the next wait return at once.
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Waits for a signal; returns early when the task is cancelled.
    func wait() async {
        await wait(timeout: nil)
    }

    /// Waits for a signal or until `timeout` passes, whichever comes first; returns early when the
    /// task is cancelled.
    ///
    /// The timeout is a Dispatch timer that resumes the same continuation, not a task racing the wait
    /// in a group: a wake-up then resumes one task instead of three (the group's two children and the
    /// waiting loop), which is most of the time between a notification and the claim it triggers.
    func wait(timeout: Duration?) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let generation = state.withLock { state -> UInt64? in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return nil
                    }
                    state.generation &+= 1
                    state.waiter = continuation
                    return state.generation
                }
                guard let generation else {
                    continuation.resume()
                    return
                }
                if let timeout {
                    scheduleTimer(timeout) { [weak self] in self?.expire(generation) }
                }
            }
        } onCancel: {
            signal()
        }
    }

    /// Ends wait number `generation` if it is still the one waiting.
    private func expire(_ generation: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.generation == generation, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }
}
