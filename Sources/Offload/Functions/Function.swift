import Foundation
import PGClient

/// A registered Swift function: an id, what triggers it (event names and/or jobs enqueued for its id),
/// a typed handler, and options.
///
/// ```swift
/// let welcome = Function(id: "send-welcome-email", events: ["api/source.connected"]) {
///     (event: SourceConnected, context) in
///     try await sendEmail(to: event.userId)
/// }
/// ```
public struct Function: Sendable {
    /// The function id. Jobs enqueued with this id run this function.
    public let id: String
    /// Event names that create a job for this function when sent.
    public let events: [String]
    /// Queue, attempts, backoff, timeout, retryable errors.
    public let options: FunctionOptions
    /// Decodes the job's arguments, runs the handler and encodes its result (nil for none).
    let invoke: @Sendable (_ argumentsJSON: String, _ context: JobContext) async throws -> String?

    /// A function whose handler returns a `Codable` result, stored as the job's `result`.
    public init<Input: Decodable & Sendable, Output: Encodable & Sendable>(
        id: String,
        events: [String] = [],
        options: FunctionOptions = FunctionOptions(),
        handler: @escaping @Sendable (Input, JobContext) async throws -> Output?
    ) {
        self.id = id
        self.events = events
        self.options = options
        self.invoke = { argumentsJSON, context in
            let input = try Self.decodeArguments(Input.self, from: argumentsJSON)
            guard let output = try await handler(input, context) else { return nil }
            return try PGJSON(output).text
        }
    }

    /// A function without a result.
    public init<Input: Decodable & Sendable>(
        id: String,
        events: [String] = [],
        options: FunctionOptions = FunctionOptions(),
        handler: @escaping @Sendable (Input, JobContext) async throws -> Void
    ) {
        self.id = id
        self.events = events
        self.options = options
        self.invoke = { argumentsJSON, context in
            let input = try Self.decodeArguments(Input.self, from: argumentsJSON)
            try await handler(input, context)
            return nil
        }
    }

    /// A function for jobs of type `Arguments`; its id is `Arguments.function`.
    public static func job<Arguments: JobArguments>(
        _ type: Arguments.Type,
        events: [String] = [],
        options: FunctionOptions = FunctionOptions(),
        handler: @escaping @Sendable (Arguments, JobContext) async throws -> Void
    ) -> Function {
        Function(id: Arguments.function, events: events, options: options, handler: handler)
    }

    /// A function subscribed to events of type `E`.
    public static func on<E: Event>(
        _ type: E.Type,
        id: String,
        options: FunctionOptions = FunctionOptions(),
        handler: @escaping @Sendable (E, JobContext) async throws -> Void
    ) -> Function {
        Function(id: id, events: [E.name], options: options, handler: handler)
    }

    private static func decodeArguments<Input: Decodable>(_ type: Input.Type, from json: String) throws -> Input {
        do {
            return try PGJSON.decode(Input.self, from: json)
        } catch let error as PGError {
            throw ArgumentsDecodingError(message: error.message)
        }
    }
}

/// The job's arguments don't fit the function's input type (a changed type, or bad input from SQL).
public struct ArgumentsDecodingError: Error, Sendable, CustomStringConvertible {
    /// What did not fit, with its JSON path.
    public let message: String
    public var description: String { message }
}
