import ArgumentParser

/// The development tools: `offload bench`, `offload chaos` and `offload fixture-worker` (the worker
/// that both of them, and the process tests, start). Only the `offload` executable lists them, next to
/// OffloadCLI's operator commands; an app that embeds OffloadCLI never links this code.
package enum OffloadTools {
    /// The tools' commands, for the `offload` executable's root command.
    package static let commands: [any ParsableCommand.Type] = [
        FixtureWorkerCommand.self,
        ChaosCommand.self,
        BenchCommand.self,
    ]
}
