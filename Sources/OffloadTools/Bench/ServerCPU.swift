import Foundation
import PGClient

/// The processor time PostgreSQL spends, when it runs on this machine: the postmaster, its live
/// children (backends, WAL writer, autovacuum, …), and the children that already exited (the kernel
/// adds their time to the postmaster's `cutime`/`cstime` when it reaps them). Read from `/proc`, so
/// it is nil for a server elsewhere.
///
/// Time per job is what the server works for each job, however busy the machine is with other
/// programs: where throughput moves by half between runs, this moves by a few percent.
struct ServerCPU: Sendable {
    let postmasterPID: Int32

    /// Finds the postmaster as the parent of a backend of ours; nil when it is not on this machine.
    static func find(_ database: some Queryable) async -> ServerCPU? {
        guard let backend = try? await database.query("SELECT pg_backend_pid() AS pid").single(Int.self, "pid"),
            let fields = Self.statFields(Int32(backend)), fields.count > 1, let parent = Int32(fields[1]),
            Self.statFields(parent) != nil
        else { return nil }
        return ServerCPU(postmasterPID: parent)
    }

    /// Seconds of processor time used so far by the server's processes, living and exited.
    func seconds() -> Double? {
        guard let postmaster = Self.statFields(postmasterPID), postmaster.count > 14 else { return nil }
        // Fields after the command name, 0-based: ppid 1, utime 11, stime 12, cutime 13, cstime 14.
        var ticks = [11, 12, 13, 14].compactMap { Double(postmaster[$0]) }.reduce(0, +)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), pid != postmasterPID, let fields = Self.statFields(pid), fields.count > 12,
                Int32(fields[1]) == postmasterPID
            else { continue }
            ticks += [11, 12].compactMap { Double(fields[$0]) }.reduce(0, +)
        }
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The fields of `/proc/PID/stat` after the parenthesised command name (state first).
    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let afterName = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(after: afterName)...].split(separator: " ")
    }
}
