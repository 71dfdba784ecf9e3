/// Arguments of a job that a function of the same name runs: a stable `function` string plus
/// `Codable` fields. The name, not the Swift type, identifies the job, so renaming the type never
/// orphans queued jobs.
///
/// ```swift
/// struct ResizeImage: JobArguments {
///     static let function = "resize-image"
///     var imageID: Int
/// }
/// ```
public protocol JobArguments: Codable, Sendable {
    /// The function id that runs this job, e.g. `resize-image`.
    static var function: String { get }
}

/// An event: a stable `name` (`api/source.connected`) plus `Codable` data. Sending it creates one job
/// for every function subscribed to the name.
public protocol Event: Codable, Sendable {
    /// The event name, e.g. `api/source.connected`.
    static var name: String { get }
}
