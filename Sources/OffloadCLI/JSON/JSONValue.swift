/// A JSON document as the command line reads and prints it: object members keep their order and
/// numbers keep the text they were written with, so a value passes through unchanged (no rounding of
/// large integers, no reordering of keys).
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, e.g. `12`, `-0.5`, `1e9`.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in order; keys are not deduplicated (the parser keeps what it was given).
    case object([Member])

    /// One object member.
    struct Member: Sendable, Equatable {
        var key: String
        var value: JSONValue

        init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// What kind of value this is, as an error message names it ("an array").
    var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The value of `key` in an object (the first member with that key); nil otherwise.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The elements of an array; nil otherwise.
    var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The text of a string; nil otherwise.
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// An integer number; nil for anything else (including `1.5`).
    var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    /// A number as a `Double`; nil otherwise.
    var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }
}

// MARK: - Building output

extension JSONValue {
    /// A string, or null for nil.
    static func text(_ text: String?) -> JSONValue {
        text.map { .string($0) } ?? .null
    }

    /// An integer.
    static func int(_ value: some BinaryInteger) -> JSONValue {
        .number(String(value))
    }

    /// An integer, or null for nil.
    static func int(_ value: (some BinaryInteger)?) -> JSONValue {
        value.map { .number(String($0)) } ?? .null
    }

    /// A floating-point number in its shortest exact form (`0.25`, `3`); null when not finite.
    static func double(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number("\(value)")
    }

    /// An array of strings.
    static func strings(_ values: [String]) -> JSONValue {
        .array(values.map { .string($0) })
    }

    /// An object with these members, in the order written.
    static func fields(_ members: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(members.map { Member($0.key, $0.value) })
    }
}
