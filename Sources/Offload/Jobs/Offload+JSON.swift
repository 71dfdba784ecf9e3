import PGClient

/// Enqueue and send with JSON text that is already encoded (a command-line argument, a webhook body),
/// passed through as it is instead of being decoded and re-encoded. PostgreSQL checks that it is JSON,
/// and the SQL API that it is an object.
extension Offload {
    /// Enqueues a job for `function` with arguments given as JSON text, on the caller's connection or
    /// transaction. Returns the job id (the existing job's id when `uniqueKey` matched an active job).
    @discardableResult
    public func enqueue(
        function: String, json: PGJSON, options: JobOptions = JobOptions(), on connection: some Queryable
    ) async throws -> Int64 {
        try await connection.query(EnqueueSQL.enqueue(function: function, arguments: json, options: options))
            .single(Int64.self, "id")
    }

    /// Enqueues a job for `function` with JSON-text arguments, in its own transaction.
    @discardableResult
    public func enqueue(function: String, json: PGJSON, options: JobOptions = JobOptions()) async throws -> Int64 {
        try await enqueue(function: function, json: json, options: options, on: pool)
    }

    /// Sends an event with data given as JSON text, on the caller's connection or transaction. Returns
    /// the event id (the first event's, when `idempotencyKey` was used before).
    @discardableResult
    public func send(
        name: String, json: PGJSON, idempotencyKey: String? = nil, on connection: some Queryable
    ) async throws -> Int64 {
        try await connection.query(EnqueueSQL.send(name: name, data: json, idempotencyKey: idempotencyKey))
            .single(Int64.self, "id")
    }

    /// Sends an event with JSON-text data, in its own transaction.
    @discardableResult
    public func send(name: String, json: PGJSON, idempotencyKey: String? = nil) async throws -> Int64 {
        try await send(name: name, json: json, idempotencyKey: idempotencyKey, on: pool)
    }
}
