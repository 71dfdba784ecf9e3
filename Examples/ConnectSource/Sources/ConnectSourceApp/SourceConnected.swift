import Offload

/// Sent when a user connects a source. Every function subscribed to `api/source.connected` gets one
/// job per event: `backfill-user-data` and `send-welcome-email`.
public struct SourceConnected: Event, Equatable {
    /// The event name functions subscribe to.
    public static let name = "api/source.connected"

    /// The `sources` row.
    public var sourceId: Int64
    /// Whose source it is.
    public var userId: Int64

    /// An event for source `sourceId` of user `userId`.
    public init(sourceId: Int64, userId: Int64) {
        self.sourceId = sourceId
        self.userId = userId
    }
}
