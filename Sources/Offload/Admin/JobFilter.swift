/// Which jobs `Offload.listJobs(_:)` returns: every condition set must hold. Newest jobs come first.
public struct JobFilter: Sendable, Equatable {
    /// Jobs in any of these states. Defaults to empty: any state.
    public var states: [JobState]
    /// Jobs of this function. Defaults to nil: any function.
    public var function: String?
    /// Jobs on this queue. Defaults to nil: any queue.
    public var queue: String?
    /// Jobs created by this event. Defaults to nil: any (or no) event.
    public var eventID: Int64?
    /// The most jobs returned. Defaults to 50.
    public var limit: Int

    /// Creates a filter; see each property for its default.
    public init(
        states: [JobState] = [], function: String? = nil, queue: String? = nil, eventID: Int64? = nil, limit: Int = 50
    ) {
        self.states = states
        self.function = function
        self.queue = queue
        self.eventID = eventID
        self.limit = limit
    }
}
