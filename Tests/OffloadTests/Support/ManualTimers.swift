import Synchronization

@testable import Offload

/// Stands in for `WakeSignal`'s Dispatch timers: records each timer and fires it only when told.
final class ManualTimers: Sendable {
    private struct State {
        var timers: [(timeout: Duration, fire: @Sendable () -> Void)] = []
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    /// For `WakeSignal(scheduleTimer:)`.
    var schedule: @Sendable (Duration, @escaping @Sendable () -> Void) -> Void {
        { [self] timeout, fire in
            let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.timers.append((timeout, fire))
                let count = state.timers.count
                let ready = state.watchers.filter { $0.count <= count }.map(\.continuation)
                state.watchers.removeAll { $0.count <= count }
                return ready
            }
            for watcher in ready { watcher.resume() }
        }
    }

    /// The timeouts asked for so far, in order.
    var timeouts: [Duration] { state.withLock { $0.timers.map(\.timeout) } }

    /// Fires timer number `index` (0-based).
    func fire(_ index: Int) {
        let fire = state.withLock { $0.timers[index].fire }
        fire()
    }

    /// Returns once `count` timers were set: the sign that a wait has registered.
    func scheduled(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.timers.count >= count { return true }
                state.watchers.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
