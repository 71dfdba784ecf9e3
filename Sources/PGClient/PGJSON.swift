import Foundation

/// A `Codable` value sent as JSON (cast it in SQL: `\(PGJSON(args))::jsonb`).
///
/// The value is encoded when the wrapper is created, so encoding errors surface there, as a
/// thrown error, rather than inside a string interpolation.
public struct PGJSON: PGEncodable {
    /// The encoded JSON text.
    public let text: String

    /// Encodes `value` with an encoder made by `PGJSON.makeEncoder()`.
    public init(_ value: some Encodable) throws {
        do {
            let data = try PGJSON.sharedEncoder.encode(value)
            text = String(decoding: data, as: UTF8.self)
        } catch {
            throw PGError(.encoding, "cannot encode \(type(of: value)) as JSON: \(error)")
        }
    }

    /// Wraps JSON text that is already encoded.
    public init(rawJSON: String) {
        text = rawJSON
    }

    public func pgText() -> String? { text }

    /// The encoder used for values: ISO 8601 dates, sorted keys (stable text for unique keys and tests).
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The decoder matching `makeEncoder()`.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// One encoder for every value: creating one costs more than encoding a small object, and an
    /// encoder whose options never change may encode on many threads at once.
    private static let sharedEncoder = makeEncoder()

    /// One decoder for every call: creating one costs more than decoding a small object, and a
    /// decoder whose options never change may decode on many threads at once.
    private static let sharedDecoder = makeDecoder()

    /// Decodes JSON text into `type`, with a decoding error that names what went wrong.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        do {
            return try sharedDecoder.decode(T.self, from: Data(text.utf8))
        } catch let error as DecodingError {
            throw PGError(.decoding, "cannot decode JSON as \(T.self): \(describe(error, text: text))")
        }
    }

    /// The decoding error in words. Foundation's decoder reports a number that does not fit its type
    /// (`99999999999999999999` or `1.5` for an `Int`) as "The given data was not valid JSON", with no
    /// path; when the text is in fact valid JSON, say so and point at the numbers that fit no integer.
    static func describe(_ error: DecodingError, text: String) -> String {
        guard case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
            let tree = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        else { return error.readableDescription }
        var suspects: [String] = []
        findNonIntegers(tree, path: "$", into: &suspects)
        var message = "the JSON is valid but does not match the type"
        if suspects.isEmpty {
            message += " (\(context.debugDescription))"
        } else {
            let shown = suspects.prefix(5).joined(separator: ", ")
            message +=
                "; numbers that fit no integer type (too large, or with a fraction), one of which is probably declared as an integer: \(shown)"
        }
        return message
    }

    /// Paths and values of the numbers in a `JSONSerialization` tree that are not whole `Int64`s.
    private static func findNonIntegers(_ value: Any, path: String, into found: inout [String]) {
        switch value {
        case let object as [String: Any]:
            for key in object.keys.sorted() { findNonIntegers(object[key]!, path: "\(path).\(key)", into: &found) }
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                findNonIntegers(element, path: "\(path)[\(index)]", into: &found)
            }
        case let number as NSNumber:
            // true and false are 1 and 0 here: whole numbers, never suspects.
            if Int64(exactly: number.doubleValue) == nil { found.append("\(path) = \(number.stringValue)") }
        default:
            break
        }
    }
}

extension DecodingError {
    /// A one-line explanation with the coding path, e.g. `missing key "sourceId" at $`.
    public var readableDescription: String {
        func path(_ context: Context) -> String {
            let components = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            return "$" + components.joined()
        }
        switch self {
        case .keyNotFound(let key, let context):
            return "missing key \"\(key.stringValue)\" at \(path(context))"
        case .typeMismatch(let type, let context):
            return "expected \(type) at \(path(context)): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "expected \(type) but found null at \(path(context))"
        case .dataCorrupted(let context):
            return "invalid data at \(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}
