import Foundation
import PGClient

extension Offload {
    /// Enqueues a job for the function named by its arguments' type, on the caller's connection or
    /// transaction. Returns the job id (the existing job's id when `uniqueKey` matched an active job).
    @discardableResult
    public func enqueue<Arguments: JobArguments>(
        _ arguments: Arguments, options: JobOptions = JobOptions(), on connection: some Queryable
    ) async throws -> Int64 {
        try await enqueue(function: Arguments.function, arguments: arguments, options: options, on: connection)
    }

    /// Enqueues a job in its own transaction.
    @discardableResult
    public func enqueue<Arguments: JobArguments>(_ arguments: Arguments, options: JobOptions = JobOptions())
        async throws -> Int64
    {
        try await enqueue(arguments, options: options, on: pool)
    }

    /// Enqueues a job for `function` with any `Encodable` arguments (they must encode to a JSON object).
    @discardableResult
    public func enqueue(
        function: String, arguments: some Encodable, options: JobOptions = JobOptions(), on connection: some Queryable
    ) async throws -> Int64 {
        let query = EnqueueSQL.enqueue(function: function, arguments: try PGJSON(arguments), options: options)
        return try await connection.query(query).single(Int64.self, "id")
    }

    /// Enqueues a job for `function` in its own transaction.
    @discardableResult
    public func enqueue(function: String, arguments: some Encodable, options: JobOptions = JobOptions()) async throws
        -> Int64
    {
        try await enqueue(function: function, arguments: arguments, options: options, on: pool)
    }

    /// Enqueues many jobs in one statement (arrays and `unnest`), for backfills. Jobs whose unique key
    /// matches an active job are skipped. Returns how many were inserted.
    @discardableResult
    public func enqueueMany<Arguments: JobArguments>(
        _ jobs: [Arguments], options: JobOptions = JobOptions(), on connection: some Queryable
    ) async throws -> Int {
        let requests = try jobs.map { try EnqueueRequest($0, options: options) }
        return try await enqueueMany(requests, on: connection)
    }

    /// Enqueues many jobs, each with its own function and options, in one statement. Tags are not
    /// supported here: a request with tags is refused rather than stored without them.
    @discardableResult
    public func enqueueMany(_ requests: [EnqueueRequest], on connection: some Queryable) async throws -> Int {
        guard !requests.isEmpty else { return 0 }
        // offload.enqueue_many has no tags parameter; dropping them silently would alter the jobs.
        if let tagged = requests.firstIndex(where: { !$0.options.tags.isEmpty }) {
            throw PGError(
                .encoding,
                "enqueueMany cannot store tags yet (request \(tagged + 1) has some); enqueue tagged jobs one by one with enqueue"
            )
        }
        return try await connection.query(try EnqueueSQL.enqueueMany(requests)).single(Int.self, "inserted")
    }

    /// Enqueues many jobs in their own transaction.
    @discardableResult
    public func enqueueMany(_ requests: [EnqueueRequest]) async throws -> Int {
        try await enqueueMany(requests, on: pool)
    }
}

/// One job for `enqueueMany`: a function, its encoded arguments and options.
public struct EnqueueRequest: Sendable {
    /// The function id.
    public var function: String
    /// The arguments as JSON.
    public var arguments: PGJSON
    /// Queue, priority, schedule, attempts, unique key.
    public var options: JobOptions

    /// A request for typed arguments.
    public init<Arguments: JobArguments>(_ arguments: Arguments, options: JobOptions = JobOptions()) throws {
        self.init(function: Arguments.function, arguments: try PGJSON(arguments), options: options)
    }

    /// A request for any function with already-encoded arguments.
    public init(function: String, arguments: PGJSON, options: JobOptions = JobOptions()) {
        self.function = function
        self.arguments = arguments
        self.options = options
    }
}
