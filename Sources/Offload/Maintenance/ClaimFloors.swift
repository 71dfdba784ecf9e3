import DequeModule
import PGClient

/// Raises the claim floors (migration 11) several times a second, so that a claim reads its range
/// from just behind the oldest claimable job instead of from the first entry that vacuum has not
/// removed yet. Run by the maintenance leader on a connection of its own.
///
/// A floor may rise to a time T only if no transaction that can still commit a claimable job got
/// its xid before T: such jobs carry a run_at from after their xid (`offload.claimable_now()`), and
/// the floor must not pass them although this session cannot see them yet. So each tick reads the
/// clock and then takes an xid of its own (xids are handed out in order); a sample (T, xid) becomes
/// usable as the bound once every transaction holding a write lock on `offload.jobs` has a newer
/// xid. A transaction that takes that lock later reads its clock later still, so it cannot hold a
/// floor back; nor can one that holds back vacuum without writing jobs (a report, a replica's slot).
struct ClaimFloors {
    /// How often floors rise. A claim walks at most the jobs claimed since the last rise.
    static let interval: Duration = .milliseconds(100)
    /// How often a pass recomputes the floors from the start, to catch rows written by hand below a
    /// floor (the API never writes one). Under a held xmin this pass reads every dead entry once.
    static let thoroughInterval: Duration = .seconds(30)
    /// Samples kept while an old transaction holds its xid; older ones go (the floors then stay put
    /// until it ends, which is safe).
    static let maximumSamples = 3_000

    struct Sample: Equatable {
        /// The server's clock (text: microseconds exact).
        let at: String
        /// An xid taken right after `at` was read: every xid above it was assigned later.
        let xid: Int64
    }

    private(set) var samples: Deque<Sample> = []

    /// Records a sample and returns the latest sampled time that may bound the floors now: every
    /// transaction writing jobs has an xid above that sample's. `oldestWriter` is the oldest such xid,
    /// nil when none writes. Nil when no sample qualifies yet.
    mutating func bound(adding sample: Sample, oldestWriter: Int64?) -> String? {
        let oldestWriter = oldestWriter ?? .max
        samples.append(sample)
        if samples.count > Self.maximumSamples { samples.removeFirst(samples.count - Self.maximumSamples) }
        // Samples are in xid order: when the oldest does not qualify, none does (no scan while an old
        // transaction keeps its xid).
        guard let first = samples.first, first.xid < oldestWriter,
            let usable = samples.lastIndex(where: { $0.xid < oldestWriter })
        else { return nil }
        let bound = samples[usable].at
        // Later bounds only: what came before the usable sample will never be needed.
        samples.removeFirst(usable)
        return bound
    }

    /// One tick: sample, then raise the floors to the bound, if there is one. Three statements, each
    /// in a transaction and with a snapshot of its own, in this order (see the type's comment).
    /// Returns how many floors changed.
    mutating func tick(on connection: Connection, thorough: Bool) async throws -> Int {
        let at = try await connection.query(MaintenanceSQL.clockNow()).single(String.self, "at")
        let horizon = try await connection.query(MaintenanceSQL.transactionHorizon()).rows
        guard let row = horizon.first else { return 0 }
        let oldestWriter = try row.decode(Int64?.self, "oldest_writer")
        let xid = try row.decode(Int64.self, "xid")
        guard let bound = bound(adding: Sample(at: at, xid: xid), oldestWriter: oldestWriter) else { return 0 }
        return try await connection.query(MaintenanceSQL.advanceClaimFloors(bound: bound, thorough: thorough))
            .single(Int.self, "changed")
    }

    /// Ticks every `interval` (thoroughly every `thoroughInterval`) until cancelled or a statement fails.
    static func run(connectionConfiguration: ConnectionConfiguration) async throws {
        let connection = try await Connection.connect(connectionConfiguration)
        // Each tick commits an xid of its own; no need to wait for those commits to reach the disk.
        try await connection.execute("SET synchronous_commit = off")
        var floors = ClaimFloors()
        var lastThorough = ContinuousClock.now
        while !Task.isCancelled {
            let thorough = ContinuousClock.now - lastThorough >= thoroughInterval
            do {
                _ = try await floors.tick(on: connection, thorough: thorough)
                if thorough { lastThorough = .now }
            } catch let error as PGError where [.lockNotAvailable, .queryCanceled].contains(error.sqlState) {
                // Someone holds a lock on the jobs table (an operator's LOCK TABLE, a long ALTER): the
                // floors wait, which is safe, and so does nothing else the leader does.
            }
            try await Task.sleep(for: interval)
        }
    }
}
