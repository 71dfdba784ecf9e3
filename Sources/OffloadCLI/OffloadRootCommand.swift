import ArgumentParser
import Offload

/// A root command that reports errors the way `offload` does: `error: …`, with control characters
/// escaped. ``OffloadCommand`` is one, and so is the `offload` executable's root (the operator
/// commands plus the tools); an app's own root command can be one too.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public protocol OffloadRootCommand: AsyncParsableCommand {}

@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
extension OffloadRootCommand {
    /// Errors read `error: …` (lower case, as git and cargo print them) instead of ArgumentParser's
    /// `Error: …`. Underscored in ArgumentParser ("experimental"); if it ever goes away, this becomes an
    /// unused property and the capital E comes back, nothing worse.
    public static var _errorPrefix: String { "error: " }

    /// ArgumentParser's entry point, with one change: errors of our own (and PostgreSQL's) are printed
    /// with their control characters escaped. Their text quotes stored names, keys and server messages
    /// that whoever enqueues chooses; printed raw, an escape sequence in one would steer the terminal.
    public static func main() async {
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: terminalSafe(error))
        }
    }

    /// `error`, or a `CLIError` with its description escaped when it is not one of ArgumentParser's
    /// own (help requests, exit codes and usage errors keep their type, and so their exit status and
    /// formatting).
    static func terminalSafe(_ error: any Error) -> any Error {
        if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") { return error }
        let description = String(describing: error)
        let escaped = description.escapingControlCharacters(keepingNewlines: true)
        if escaped == description { return error }
        return CLIError(escaped)
    }
}
