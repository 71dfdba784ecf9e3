import ArgumentParser

/// The `offload` command line: operate a queue without writing SQL.
///
/// These are the operator commands only (status, jobs, send, enqueue, prune, migrate, local). An app
/// embeds them as they are, or lists ``operatorCommands`` among its own root command's subcommands.
/// The `offload` executable adds the development tools (bench, chaos, fixture-worker) from a target
/// of their own, so none of that code reaches an app.
// The availability lets ArgumentParser pick its async entry point.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct OffloadCommand: OffloadRootCommand {
    /// The commands that operate a queue, for an app's own root command.
    public static let operatorCommands: [any ParsableCommand.Type] = [
        StatusCommand.self,
        HealthCommand.self,
        JobsCommand.self,
        SendCommand.self,
        EnqueueCommand.self,
        PruneCommand.self,
        MigrateCommand.self,
        LocalCommand.self,
    ]

    public static let configuration = CommandConfiguration(
        commandName: "offload",
        abstract: "Background jobs for Swift on PostgreSQL.",
        subcommands: operatorCommands
    )

    public init() {}

    /// Without a subcommand, explain what there is.
    public func run() async throws {
        print(Self.helpMessage())
    }
}
