import CLibPQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Socket readiness checks used to wait for server input without busy-looping.
public enum PQSocket {
    /// Waits until `socket` (or `wakeFD`, when given) is readable, or `timeoutMilliseconds` pass.
    /// Returns true when `socket` has input. Interrupted waits count as "no input yet".
    public static func waitReadable(_ socket: Int32, wakeFD: Int32? = nil, timeoutMilliseconds: Int32) -> Bool {
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        if let wakeFD { fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)) }
        let ready = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        guard ready > 0 else { return false }
        return fds[0].revents & Int16(POLLIN | POLLERR | POLLHUP) != 0
    }

    /// Whether `socket` has unread input right now (a zero-timeout poll). On an idle connection this
    /// means the server said something unprompted — usually that it is closing the connection.
    public static func hasPendingInput(_ socket: Int32) -> Bool {
        waitReadable(socket, timeoutMilliseconds: 0)
    }
}

/// The version of the linked libpq, e.g. 150018 for 15.18.
public func libpqVersion() -> Int {
    Int(PQlibVersion())
}
