import Foundation
import PGClient

/// What the soak reads from the server at an interval's end (`BenchSQL.soakSample`).
struct SoakSample: Sendable, Equatable {
    /// The server's clock, seconds since 1970.
    var at: Double
    /// The newest job's id: the producer's jobs so far, counted by id.
    var lastID: Int64
    /// Jobs due and not yet claimed.
    var waiting: Int
    /// Jobs due and not finished (waiting or running).
    var unfinished: Int
    /// The lowest id among the unfinished jobs.
    var firstUnfinishedID: Int64?
    /// The jobs table (heap, TOAST, free-space and visibility maps) and its indexes, in bytes.
    var tableBytes: Int64
    var indexBytes: Int64
    /// The claim index alone (nil if it is not called `jobs_claim_idx`).
    var claimIndexBytes: Int64?
    /// From `pg_stat_user_tables`: dead and live rows, and vacuums of the table so far.
    var deadTuples: Int
    var liveTuples: Int
    var vacuums: Int

    static func read(_ database: some Queryable) async throws -> SoakSample {
        guard let row = try await database.query(BenchSQL.soakSample).first else {
            throw BenchError("soak: the jobs table has no statistics row")
        }
        return SoakSample(
            at: try row.decode(Double.self, "at"),
            lastID: try row.decode(Int64.self, "last_id"),
            waiting: try row.decode(Int.self, "waiting"),
            unfinished: try row.decode(Int.self, "unfinished"),
            firstUnfinishedID: try row.decode(Int64?.self, "first_unfinished_id"),
            tableBytes: try row.decode(Int64.self, "table_bytes"),
            indexBytes: try row.decode(Int64.self, "index_bytes"),
            claimIndexBytes: try row.decode(Int64?.self, "claim_index_bytes"),
            deadTuples: try row.decode(Int.self, "dead_tuples"),
            liveTuples: try row.decode(Int.self, "live_tuples"),
            vacuums: try row.decode(Int.self, "vacuums")
        )
    }

    /// The lowest id a job claimed after this sample can have: it was unfinished now, or is newer.
    var firstIDClaimable: Int64 { min(firstUnfinishedID ?? .max, lastID + 1) }
}

/// Enqueue → start of the jobs claimed in one interval (`BenchSQL.soakLag`), in milliseconds.
struct SoakLag: Sendable, Equatable {
    var started: Int
    var p50: Double
    var p99: Double
    var max: Double

    static func read(_ database: some Queryable, fromID: Int64, from: Double, until: Double) async throws -> SoakLag {
        guard let row = try await database.query(BenchSQL.soakLag(fromID: fromID, from: from, until: until)).first
        else { throw BenchError("soak: the lag query returned no row") }
        return SoakLag(
            started: try row.decode(Int.self, "started"), p50: try row.decode(Double.self, "p50_ms"),
            p99: try row.decode(Double.self, "p99_ms"), max: try row.decode(Double.self, "max_ms"))
    }
}

/// One line of the soak's report: what happened between two samples.
struct SoakInterval: Sendable, Equatable {
    /// 1 for the first interval.
    var index: Int
    /// When it ended, from the start of the soak.
    var endSeconds: Double
    /// Its length on the server's clock.
    var seconds: Double
    /// Jobs enqueued, and jobs finished, in it.
    var produced: Int
    var done: Int
    /// The sample at its end.
    var end: SoakSample
    var lag: SoakLag
    /// The claim probes' times in it, milliseconds, sorted.
    var claimMilliseconds: [Double]
    /// Vacuums of the jobs table that finished in it.
    var vacuums: Int
    /// How long the xmin holder's transaction was open in it.
    var xminHeldSeconds: Double
    /// Whether it is in the xmin window (`SoakConfiguration.isInXminWindow`).
    var inXminWindow: Bool
    /// The cores PostgreSQL and the worker process kept busy in it (processor time over wall time; nil
    /// when the server is not on this machine).
    var serverCores: Double?
    var workerCores: Double?
    /// The machine's 1-minute load average at its end (nil without /proc/loadavg).
    var loadAverage: Double?
    /// Whether the worker kept up with the producer (see `keptUp(rate:)`).
    var keptUp: Bool

    /// How much may wait at an interval's end, in the producer's time, for the worker still to count
    /// as keeping up; and how late the 99th percentile of starts may be.
    static let keptUpSlack = Duration.seconds(1)

    init(
        index: Int, endSeconds: Double, previous: SoakSample, end: SoakSample, lag: SoakLag,
        claimMilliseconds: [Double], xminHeld: Duration, inXminWindow: Bool,
        serverCores: Double? = nil, workerCores: Double? = nil, loadAverage: Double?, rate: Int
    ) {
        self.index = index
        self.endSeconds = endSeconds
        seconds = end.at - previous.at
        produced = Int(end.lastID - previous.lastID)
        // Every job produced is unfinished or done (noop jobs do not fail), so what was done is what
        // came in less what the unfinished grew by.
        done = produced - (end.unfinished - previous.unfinished)
        self.end = end
        self.lag = lag
        self.claimMilliseconds = claimMilliseconds
        vacuums = end.vacuums - previous.vacuums
        xminHeldSeconds = xminHeld.seconds
        self.inXminWindow = inXminWindow
        self.serverCores = serverCores
        self.workerCores = workerCores
        self.loadAverage = loadAverage
        keptUp = Self.keptUp(waiting: end.waiting, lagP99Milliseconds: lag.p99, rate: rate)
    }

    /// Kept up: at the interval's end at most one second of the producer's jobs was waiting, and 99 %
    /// of the jobs claimed in it had waited less than a second. A worker that fell behind in the
    /// interval and had not caught up by its end fails the first; one that caught up only after long
    /// waits fails the second; a moment's stall (a checkpoint, the sample itself) fails neither.
    static func keptUp(waiting: Int, lagP99Milliseconds: Double, rate: Int) -> Bool {
        let slack = keptUpSlack.seconds
        return Double(waiting) <= max(Double(rate) * slack, 100) && lagP99Milliseconds <= slack * 1_000
    }

    var donePerSecond: Double { seconds > 0 ? Double(done) / seconds : 0 }
    var producedPerSecond: Double { seconds > 0 ? Double(produced) / seconds : 0 }
    var claimP50: Double? { claimMilliseconds.isEmpty ? nil : Statistics.percentile(0.5, ofSorted: claimMilliseconds) }
    var claimP99: Double? { claimMilliseconds.isEmpty ? nil : Statistics.percentile(0.99, ofSorted: claimMilliseconds) }
    /// The table and its indexes.
    var totalBytes: Int64 { end.tableBytes + end.indexBytes }

    /// The 1-minute load average, from `/proc/loadavg`.
    static func currentLoadAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }
}
