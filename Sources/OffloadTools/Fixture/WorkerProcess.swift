import Foundation
import Logging
import Offload
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Set by the start-up signal handler; an atomic store is async-signal-safe.
private let stopRequestedDuringStartup = Atomic<Bool>(false)

/// Runs a worker as a whole process: a `ServiceGroup` that turns SIGTERM and SIGINT into a graceful
/// shutdown (drain, then exit 0).
enum WorkerProcess {
    /// Remembers a SIGTERM or SIGINT that arrives while the process is still starting (connecting,
    /// checking the schema), so that it becomes a graceful shutdown once the worker runs. Without it the
    /// default action killed the process by the signal (found by the chaos run: workers stopped right
    /// after start exited with "signal 15", not 0). Call it first thing.
    static func catchStopSignalsDuringStartup() {
        for stopSignal in [SIGTERM, SIGINT] {
            signal(stopSignal) { _ in stopRequestedDuringStartup.store(true, ordering: .relaxed) }
        }
    }

    static func run(_ worker: Worker, logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    // A worker that stopped by itself (see the forwarder) ends the group cleanly, not as a failure.
                    .init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup),
                    // Runs once the group traps the signals itself, and passes on one caught earlier.
                    .init(service: StartupStopForwarder(worker: worker), successTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}

/// Starts the worker's graceful shutdown if a stop signal arrived before the service group ran.
private struct StartupStopForwarder: Service {
    let worker: Worker

    func run() async throws {
        if stopRequestedDuringStartup.load(ordering: .relaxed) { worker.beginShutdown() }
    }
}
