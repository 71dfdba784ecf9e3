/// A failure the command explains in its own words; ArgumentParser prints it as `error: <description>`
/// on standard error and exits with status 1.
struct CLIError: Error, CustomStringConvertible {
    /// The whole message, possibly several lines (a `hint:` line last).
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
