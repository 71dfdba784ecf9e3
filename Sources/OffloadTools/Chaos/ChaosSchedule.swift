/// One fault the run injects.
enum ChaosFault: Sendable, Equatable, CustomStringConvertible {
    /// SIGKILL a random worker process and start a new one.
    case killWorker
    /// Restart PostgreSQL with a fast shutdown.
    case restartPostgres
    /// `pg_terminate_backend` every worker connection.
    case terminateConnections

    var description: String {
        switch self {
        case .killWorker: return "SIGKILL a worker"
        case .restartPostgres: return "restart PostgreSQL"
        case .terminateConnections: return "terminate worker connections"
        }
    }
}

/// When each fault happens, as offsets from the start of the run. Pure, unit-tested.
///
/// Kills every `killInterval` from one interval in until one interval before the end; the restart at
/// 40 % and the mass termination at 65 % of the duration, each moved off a kill tick so that every
/// fault's recovery is its own.
struct ChaosSchedule: Sendable, Equatable {
    let events: [(at: Duration, fault: ChaosFault)]

    init(configuration: ChaosConfiguration, restartsPostgres: Bool) {
        var events: [(at: Duration, fault: ChaosFault)] = []
        let duration = configuration.duration
        if let interval = configuration.killInterval, interval > .zero {
            var at = interval
            while at <= duration - interval {
                events.append((at, .killWorker))
                at += interval
            }
        }
        let offset = (configuration.killInterval ?? .seconds(2)) / 2
        if restartsPostgres {
            events.append((duration * 0.4 + offset, .restartPostgres))
        }
        if configuration.terminatesConnections {
            events.append((duration * 0.65 + offset, .terminateConnections))
        }
        self.events = events.sorted { $0.at < $1.at }
    }

    static func == (lhs: ChaosSchedule, rhs: ChaosSchedule) -> Bool {
        lhs.events.map(\.at) == rhs.events.map(\.at) && lhs.events.map(\.fault) == rhs.events.map(\.fault)
    }
}
