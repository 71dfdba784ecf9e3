import Testing

@testable import PGClient

/// The pool's bookkeeping, event by event, without a database: connections are plain objects and
/// waiters are names.
@Suite("PoolStateMachine, without a database")
struct PoolStateMachineTests {
    final class FakeConnection {}
    typealias Machine = PoolStateMachine<FakeConnection, String>

    @Test func opensUpToTheLimitThenQueuesWaiters() {
        var pool = Machine(maxConnections: 2)
        #expect(pool.acquire(id: 1, waiter: "a").isOpen)
        #expect(pool.acquire(id: 2, waiter: "b").isOpen)
        #expect(pool.acquire(id: 3, waiter: "c").isWait)
        #expect(pool.total == 2)
    }

    @Test func aReleasedConnectionGoesToTheFirstWaiterElseIdle() {
        var pool = Machine(maxConnections: 1)
        let connection = FakeConnection()
        _ = pool.acquire(id: 1, waiter: "a")
        _ = pool.acquire(id: 2, waiter: "b")
        _ = pool.acquire(id: 3, waiter: "c")
        #expect(pool.release(connection, reusable: true).handedOver === connection)
        #expect(pool.release(connection, reusable: true).handedOverTo == "c")
        #expect(pool.release(connection, reusable: true).isNone)
        #expect(pool.idle.count == 1)
        // The idle connection is lent without opening another.
        #expect(pool.acquire(id: 4, waiter: "d").used === connection)
        #expect(pool.total == 1)
    }

    @Test func aBrokenConnectionFreesItsSlotForAWaiter() {
        var pool = Machine(maxConnections: 1)
        _ = pool.acquire(id: 1, waiter: "a")
        _ = pool.acquire(id: 2, waiter: "b")
        #expect(pool.release(FakeConnection(), reusable: false).letOpen == "b")
        #expect(pool.total == 1)  // the slot went straight to b, which opens a connection in it
        #expect(pool.release(FakeConnection(), reusable: false).isNone)
        #expect(pool.total == 0)
    }

    @Test func aFailedOpenFreesItsSlot() {
        var pool = Machine(maxConnections: 1)
        _ = pool.acquire(id: 1, waiter: "a")
        #expect(pool.slotFreed().isNone)
        #expect(pool.total == 0)
        #expect(pool.acquire(id: 2, waiter: "b").isOpen)
    }

    /// The waiter's timer fires first: it leaves the line, and the connection released just after
    /// stays idle instead of going to a waiter that no longer listens.
    @Test func aWaiterThatTimesOutBeforeTheReleaseIsNotServed() {
        var pool = Machine(maxConnections: 1)
        let connection = FakeConnection()
        _ = pool.acquire(id: 1, waiter: "a")
        _ = pool.acquire(id: 2, waiter: "b")
        #expect(pool.removeWaiter(id: 2) == "b")
        #expect(pool.release(connection, reusable: true).isNone)
        #expect(pool.idle.count == 1)
    }

    /// The release wins the race: the waiter has its connection, and its timer finds nobody to fail.
    @Test func aWaiterThatTimesOutWhileTheConnectionIsReleasedKeepsIt() {
        var pool = Machine(maxConnections: 1)
        let connection = FakeConnection()
        _ = pool.acquire(id: 1, waiter: "a")
        _ = pool.acquire(id: 2, waiter: "b")
        #expect(pool.release(connection, reusable: true).handedOverTo == "b")
        #expect(pool.removeWaiter(id: 2) == nil)
        #expect(pool.total == 1)
    }

    /// Cancellation removes only the cancelled waiter; the others keep their places.
    @Test func cancellingOneWaiterKeepsTheOthersInOrder() {
        var pool = Machine(maxConnections: 1)
        _ = pool.acquire(id: 1, waiter: "a")
        _ = pool.acquire(id: 2, waiter: "b")
        _ = pool.acquire(id: 3, waiter: "c")
        _ = pool.acquire(id: 4, waiter: "d")
        #expect(pool.removeWaiter(id: 3) == "c")
        #expect(pool.removeWaiter(id: 3) == nil)
        #expect(pool.release(FakeConnection(), reusable: true).handedOverTo == "b")
        #expect(pool.release(FakeConnection(), reusable: true).handedOverTo == "d")
    }

    @Test func closingDropsIdleConnectionsAndRefusesMore() {
        var pool = Machine(maxConnections: 2)
        let idle = FakeConnection()
        let inUse = FakeConnection()
        _ = pool.acquire(id: 1, waiter: "a")
        _ = pool.acquire(id: 2, waiter: "b")
        _ = pool.release(idle, reusable: true)
        let (dropped, failed) = pool.close()
        #expect(dropped.count == 1 && dropped.first === idle)
        #expect(failed.isEmpty)
        #expect(pool.total == 1)
        #expect(pool.acquire(id: 3, waiter: "c").isFail)
        // A connection in use when the pool closed is dropped when it comes back, not kept idle.
        #expect(pool.release(inUse, reusable: true).isNone)
        #expect(pool.idle.isEmpty)
        #expect(pool.total == 0)
    }

    @Test func closingFailsEveryWaiter() {
        var pool = Machine(maxConnections: 1)
        _ = pool.acquire(id: 1, waiter: "a")
        _ = pool.acquire(id: 2, waiter: "b")
        _ = pool.acquire(id: 3, waiter: "c")
        #expect(pool.close().waiters == ["b", "c"])
        #expect(pool.removeWaiter(id: 2) == nil)  // a later timeout finds nobody
        #expect(pool.release(FakeConnection(), reusable: true).isNone)
    }

    /// A broken connection returned after close frees its slot but lets nobody open another.
    @Test func aSlotFreedAfterCloseOpensNothing() {
        var pool = Machine(maxConnections: 1)
        _ = pool.acquire(id: 1, waiter: "a")
        _ = pool.close()
        #expect(pool.slotFreed().isNone)
        #expect(pool.total == 0)
    }
}

extension PoolStateMachine.AcquireAction {
    var isOpen: Bool { if case .open = self { true } else { false } }
    var isWait: Bool { if case .wait = self { true } else { false } }
    var isFail: Bool { if case .fail = self { true } else { false } }
    var used: Connection? { if case .use(let connection) = self { connection } else { nil } }
}

extension PoolStateMachine.ReleaseAction {
    var isNone: Bool { if case .none = self { true } else { false } }
    var handedOver: Connection? { if case .handOver(let connection, _) = self { connection } else { nil } }
    var handedOverTo: Waiter? { if case .handOver(_, let waiter) = self { waiter } else { nil } }
    var letOpen: Waiter? { if case .letOpen(let waiter) = self { waiter } else { nil } }
}
