import Hummingbird

/// The answer to `POST /api/connectSource`.
public struct SourceCreated: ResponseCodable, Sendable {
    /// The new `sources` row.
    public var sourceId: Int64
    /// The `api/source.connected` event; its jobs are the source's background work.
    public var eventId: Int64
}
