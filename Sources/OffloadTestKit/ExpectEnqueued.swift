import Offload
import PGClient

/// Checks that a job of `function` with exactly these arguments was enqueued (in any state: it may
/// have run already), and returns it, the oldest when there are several. Arguments compare as JSON
/// (`jsonb` equality: key order and spacing do not matter), encoded the way `enqueue` and `send`
/// encode them, so an event's data matches the jobs it fanned out to.
///
/// ```swift
/// try await app.connectSource(url: "https://example.com", user: 7)   // the code under test
/// try await expectEnqueued(function: "send-welcome-email", matching: Welcome(userId: 7), in: pool)
/// ```
///
/// - Throws: `EnqueuedJobNotFound`, listing what was enqueued, when there is no such job.
@discardableResult
public func expectEnqueued(
    function: String,
    matching arguments: some Encodable,
    in database: some Queryable,
    fileID: String = #fileID,
    line: Int = #line
) async throws -> JobRow {
    let expected = try PGJSON(arguments)
    let found = try await database.query(
        """
        SELECT id
        FROM offload.jobs
        WHERE function = \(function)
          AND args = \(expected)::jsonb
        ORDER BY id
        LIMIT 1
        """
    ).rows.first
    if let found, let job = try await JobRow.find(try found.decode(Int64.self, "id"), in: database) { return job }
    throw try await EnqueuedJobNotFound(
        wanted: "a job of \"\(function)\" with arguments \(expected.text)", location: "\(fileID):\(line)", in: database
    )
}

/// Checks that a job of `Arguments.function` with exactly these arguments was enqueued; see
/// `expectEnqueued(function:matching:in:)`.
///
/// ```swift
/// try await expectEnqueued(ResizeImage(id: 42, width: 200), in: pool)
/// ```
@discardableResult
public func expectEnqueued<Arguments: JobArguments>(
    _ arguments: Arguments,
    in database: some Queryable,
    fileID: String = #fileID,
    line: Int = #line
) async throws -> JobRow {
    try await expectEnqueued(
        function: Arguments.function, matching: arguments, in: database, fileID: fileID, line: line)
}

/// Checks that a job of `function` was enqueued whose arguments, decoded as `Arguments`, satisfy
/// `predicate` (in any state: it may have run already), and returns it, the oldest when there are
/// several. Jobs of `function` whose arguments do not decode as `Arguments` do not match.
///
/// ```swift
/// try await expectEnqueued(function: "send-welcome-email", as: Welcome.self, in: pool) { $0.userId == 7 }
/// ```
///
/// - Throws: `EnqueuedJobNotFound`, listing what was enqueued, when no job matches.
@discardableResult
public func expectEnqueued<Arguments: Decodable>(
    function: String,
    as type: Arguments.Type,
    in database: some Queryable,
    fileID: String = #fileID,
    line: Int = #line,
    matching predicate: (Arguments) throws -> Bool
) async throws -> JobRow {
    let candidates = try await database.query(
        """
        SELECT id, args
        FROM offload.jobs
        WHERE function = \(function)
        ORDER BY id
        """
    ).rows
    for row in candidates {
        guard let arguments = try? PGJSON.decode(Arguments.self, from: try row.decode(String.self, "args")),
            try predicate(arguments)
        else { continue }
        if let job = try await JobRow.find(try row.decode(Int64.self, "id"), in: database) { return job }
    }
    throw try await EnqueuedJobNotFound(
        wanted: "a job of \"\(function)\" whose arguments, as \(Arguments.self), match the predicate",
        location: "\(fileID):\(line)", in: database
    )
}

/// Checks that a job of `Arguments.function` was enqueued whose arguments satisfy `predicate`; see
/// `expectEnqueued(function:as:in:matching:)`.
///
/// ```swift
/// try await expectEnqueued(ResizeImage.self, in: pool) { $0.width == 200 }
/// ```
@discardableResult
public func expectEnqueued<Arguments: JobArguments>(
    _ type: Arguments.Type,
    in database: some Queryable,
    fileID: String = #fileID,
    line: Int = #line,
    matching predicate: (Arguments) throws -> Bool
) async throws -> JobRow {
    try await expectEnqueued(
        function: Arguments.function, as: type, in: database, fileID: fileID, line: line, matching: predicate
    )
}

/// The job `expectEnqueued` looked for is not there. The description says what was wanted, where,
/// and lists the jobs that were enqueued (the first 50), so the failure explains itself.
public struct EnqueuedJobNotFound: Error, CustomStringConvertible {
    /// The job that was looked for.
    public let wanted: String
    /// The file and line of the check.
    public let location: String
    /// The jobs enqueued, oldest first (at most 50).
    public let enqueued: [JobRow]
    /// How many jobs there are in all.
    public let total: Int

    /// The jobs listed in a failure.
    static let listed = 50

    init(wanted: String, location: String, in database: some Queryable) async throws {
        self.wanted = wanted
        self.location = location
        self.total = try await database.query("SELECT count(*) AS n FROM offload.jobs").single(Int.self, "n")
        self.enqueued = Array(try await JobRow.all(database).prefix(Self.listed))
    }

    /// What was wanted, then one line per enqueued job: id, function, state, queue and arguments.
    public var description: String {
        var text = "\(location): expected \(wanted); "
        guard !enqueued.isEmpty else { return text + "no job was enqueued" }
        text += total == 1 ? "1 job was enqueued:" : "\(total) jobs were enqueued:"
        for job in enqueued {
            let arguments = job.argumentsJSON.count > 200 ? job.argumentsJSON.prefix(200) + "…" : job.argumentsJSON
            text += "\n  #\(job.id) \"\(job.function)\" (\(job.state.rawValue), queue \(job.queue)) \(arguments)"
        }
        if total > enqueued.count { text += "\n  … and \(total - enqueued.count) more" }
        return text
    }
}
