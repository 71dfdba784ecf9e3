import ArgumentParser

extension OffloadCommand {
    /// Errors read `error: …` (lower case, as git and cargo print them) instead of ArgumentParser's
    /// `Error: …`. Underscored in ArgumentParser ("experimental"); if it ever goes away, this becomes an
    /// unused property and the capital E comes back, nothing worse.
    public static var _errorPrefix: String { "error: " }
}
