#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The system's wall clock in microseconds since 1970 (`CLOCK_REALTIME`).
///
/// The latency benchmark compares a producer's reading with a worker's, in two processes on one
/// machine: both read this same clock, so the difference is real elapsed time.
enum WallClock {
    static func microseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1_000
    }
}
