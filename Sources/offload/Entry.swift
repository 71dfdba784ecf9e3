import ArgumentParser
import OffloadCLI
import OffloadTools

/// The `offload` executable: OffloadCLI's operator commands, which apps embed as they are, plus the
/// development tools (bench, chaos, fixture-worker) that only this binary carries.
@main
// The availability lets ArgumentParser pick its async entry point.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
struct OffloadExecutable: OffloadRootCommand {
    static let configuration = CommandConfiguration(
        commandName: OffloadCommand.configuration.commandName,
        abstract: OffloadCommand.configuration.abstract,
        subcommands: OffloadCommand.operatorCommands + OffloadTools.commands
    )

    /// Without a subcommand, explain what there is.
    func run() async throws {
        print(Self.helpMessage())
    }
}
