import PGClient

extension Offload {
    /// Sends an event on the caller's connection or transaction: stores it and creates one job for
    /// every function subscribed to its name. Returns the event id. With an `idempotencyKey` that was
    /// already used, nothing is created and the first event's id is returned.
    @discardableResult
    public func send<E: Event>(_ event: E, idempotencyKey: String? = nil, on connection: some Queryable) async throws
        -> Int64
    {
        try await send(name: E.name, data: event, idempotencyKey: idempotencyKey, on: connection)
    }

    /// Sends an event in its own transaction.
    @discardableResult
    public func send<E: Event>(_ event: E, idempotencyKey: String? = nil) async throws -> Int64 {
        try await send(event, idempotencyKey: idempotencyKey, on: pool)
    }

    /// Sends an event by name with any `Encodable` data (a JSON object).
    @discardableResult
    public func send(
        name: String, data: some Encodable, idempotencyKey: String? = nil, on connection: some Queryable
    ) async throws -> Int64 {
        let query = EnqueueSQL.send(name: name, data: try PGJSON(data), idempotencyKey: idempotencyKey)
        return try await connection.query(query).single(Int64.self, "id")
    }

    /// Sends an event by name in its own transaction.
    @discardableResult
    public func send(name: String, data: some Encodable, idempotencyKey: String? = nil) async throws -> Int64 {
        try await send(name: name, data: data, idempotencyKey: idempotencyKey, on: pool)
    }
}
