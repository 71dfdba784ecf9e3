import ArgumentParser

/// The `offload` command line: operate a queue without writing SQL.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)  // lets ArgumentParser pick its async entry point
public struct OffloadCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "offload",
        abstract: "Background jobs for Swift on PostgreSQL.",
        subcommands: [
            StatusCommand.self,
            HealthCommand.self,
            JobsCommand.self,
            SendCommand.self,
            EnqueueCommand.self,
            PruneCommand.self,
            MigrateCommand.self,
            LocalCommand.self,
            FixtureWorkerCommand.self,
            ChaosCommand.self,
            BenchCommand.self,
        ]
    )

    public init() {}

    /// Without a subcommand, explain what there is.
    public func run() async throws {
        print(Self.helpMessage())
    }
}
