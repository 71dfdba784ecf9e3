import Logging
import Offload
import ServiceLifecycle

/// Runs a worker as a whole process: a `ServiceGroup` that turns SIGTERM and SIGINT into a graceful
/// shutdown (drain, then exit 0).
enum WorkerProcess {
    static func run(_ worker: Worker, logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: worker)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
