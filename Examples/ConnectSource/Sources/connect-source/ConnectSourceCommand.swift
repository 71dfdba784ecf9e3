import ArgumentParser

/// `connect-source`: the example app's processes, one subcommand each.
@available(macOS 10.15, *)  // lets ArgumentParser pick its async entry point
struct ConnectSourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect-source",
        abstract: "Offload's example app: an API that stays fast while workers do the slow part.",
        discussion: """
            Every subcommand connects to $DATABASE_URL (or --database-url). A typical start:
              connect-source migrate
              connect-source api --port 8080 &
              connect-source worker &
              connect-source load --requests 300 --rate 50 --url http://127.0.0.1:8080
            """,
        subcommands: [APICommand.self, WorkerCommand.self, MigrateCommand.self, LoadCommand.self]
    )
}
