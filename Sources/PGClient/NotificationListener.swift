import Foundation
import LibPQ
import Logging
import Synchronization

/// What a `NotificationListener` reports.
public enum ListenerEvent: Sendable, Equatable {
    /// The listener (re)connected and is listening. Notifications sent while it was disconnected are
    /// lost, so a consumer should look for work it may have missed.
    case listening
    /// A notification arrived.
    case notification(channel: String, payload: String)
}

/// `LISTEN` on a dedicated connection, with notifications delivered as an `AsyncStream`.
///
/// The connection lives on a thread of its own that sleeps in `poll(2)` until the server sends
/// something, so a `NOTIFY` is seen within microseconds of arriving and no cooperative-pool thread
/// ever blocks. When the connection breaks, it reconnects with backoff and listens again.
public final class NotificationListener: Sendable {
    private let configuration: ConnectionConfiguration
    private let channels: [String]
    private let logger: Logger
    private let stopped = Atomic<Bool>(false)
    private let wakePipe: (read: Int32, write: Int32)

    /// Prepares a listener for `channels`; nothing connects until `events()` is called.
    public init(
        _ configuration: ConnectionConfiguration, channels: [String], logger: Logger = Logger(label: "offload.listener")
    ) {
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
        var fds: [Int32] = [0, 0]
        if pipe(&fds) != 0 { fds = [-1, -1] }
        self.wakePipe = (fds[0], fds[1])
    }

    deinit {
        if wakePipe.read >= 0 {
            close(wakePipe.read)
            close(wakePipe.write)
        }
    }

    /// Starts listening. The stream ends when `stop()` is called or the consumer stops iterating.
    /// Call it once per listener.
    public func events() -> AsyncStream<ListenerEvent> {
        let (stream, continuation) = AsyncStream<ListenerEvent>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        continuation.onTermination = { [weak self] _ in self?.stop() }
        let thread = Thread { [self] in
            self.run(continuation)
            continuation.finish()
        }
        thread.name = "offload.listener"
        thread.start()
        return stream
    }

    /// Stops listening and closes the connection.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(wakePipe.write, &byte, 1)
    }

    private func run(_ continuation: AsyncStream<ListenerEvent>.Continuation) {
        var backoffSeconds = 0.05
        while !stopped.load(ordering: .acquiring) {
            do {
                let connection = try connectAndListen()
                backoffSeconds = 0.05
                continuation.yield(.listening)
                receive(on: connection, into: continuation)
                if !stopped.load(ordering: .acquiring) {
                    logger.warning(
                        "LISTEN connection lost; reconnecting", metadata: ["reason": "\(connection.errorMessage)"])
                }
            } catch {
                logger.warning(
                    "LISTEN connection failed; retrying in \(backoffSeconds)s", metadata: ["error": "\(error)"])
                _ = PQSocket.waitReadable(wakePipe.read, timeoutMilliseconds: Int32(backoffSeconds * 1000))
                backoffSeconds = min(backoffSeconds * 2, 5)
            }
        }
    }

    private func connectAndListen() throws -> PQConnection {
        let connection: PQConnection
        do {
            connection = try PQConnection(
                target: configuration.target, defaults: configuration.libpqDefaults,
                overrides: configuration.libpqOverrides)
        } catch {
            throw PGError(.connectionFailed, "cannot connect to PostgreSQL: \(configuration.scrub(error.message))")
        }
        for channel in channels {
            guard let quoted = connection.escapeIdentifier(channel) else {
                throw PGError(.encoding, "cannot quote channel name: \(connection.errorMessage)")
            }
            if let error = connection.execute("LISTEN \(quoted)", parameters: []).error {
                throw PGError(.server, "LISTEN failed: \(error.message)")
            }
        }
        return connection
    }

    private func receive(on connection: PQConnection, into continuation: AsyncStream<ListenerEvent>.Continuation) {
        while !stopped.load(ordering: .acquiring) {
            guard PQSocket.waitReadable(connection.socket, wakeFD: wakePipe.read, timeoutMilliseconds: 5_000) else {
                continue
            }
            guard connection.consumeInput(), connection.isOK else { return }
            for notification in connection.takeNotifications() {
                continuation.yield(.notification(channel: notification.channel, payload: notification.payload))
            }
        }
    }
}
