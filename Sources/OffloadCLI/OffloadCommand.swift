import ArgumentParser

/// The `offload` command line: operate a queue without writing SQL.
public struct OffloadCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "offload",
        abstract: "Background jobs for Swift on PostgreSQL.",
        subcommands: [LocalCommand.self]
    )

    public init() {}
}
