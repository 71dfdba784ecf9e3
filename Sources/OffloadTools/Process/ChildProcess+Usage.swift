import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ChildProcess {
    /// The most resident memory the process has used so far (`VmHWM` in `/proc/PID/status`), in
    /// megabytes (2^20 bytes); nil where there is no `/proc`.
    func peakResidentMegabytes() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap {
                Double($0)
            }
            return kilobytes.map { $0 / 1024 }
        }
        return nil
    }

    /// The processor time the process has used so far (user plus system, from `/proc/PID/stat`), in
    /// seconds; nil where there is no `/proc`. Less disturbed by other programs than wall time is.
    func cpuSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let afterName = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
