/// A strict JSON parser (RFC 8259) whose errors say where and what: `invalid JSON at character 12:
/// expected ',' or '}' after an object member, found ']'`. Foundation's parsers say "around
/// character 8" for some mistakes and nothing for others, and round large integers.
struct JSONParser {
    /// Where and why the text is not JSON.
    struct Failure: Error, Equatable, CustomStringConvertible {
        /// The 1-based position of the offending character (Unicode scalar), or the length + 1 at the end.
        var character: Int
        /// 1-based line and column of the same place.
        var line: Int
        var column: Int
        /// What is wrong there.
        var reason: String

        var description: String {
            let place = line > 1 ? "line \(line), column \(column)" : "character \(character)"
            return "invalid JSON at \(place): \(reason)"
        }
    }

    /// Nesting deeper than this is refused rather than risking the stack.
    static let maximumDepth = 512

    private let scalars: [Unicode.Scalar]
    private var position = 0

    private init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    /// Parses one JSON value; only whitespace may surround it.
    static func parse(_ text: String) throws(Failure) -> JSONValue {
        var parser = JSONParser(text)
        parser.skipWhitespace()
        if parser.atEnd { throw parser.failure("no JSON value (the text is empty)") }
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if !parser.atEnd {
            throw parser.failure("unexpected \(parser.describeCurrent()) after the end of the JSON value")
        }
        return value
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
        guard depth < Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
        guard let scalar = current else { throw failure("unexpected end of input, expected a value") }
        switch scalar {
        case "{": return try parseObject(depth: depth)
        case "[": return try parseArray(depth: depth)
        case "\"": return .string(try parseString())
        case "-", "0"..."9": return .number(try parseNumber())
        case "t": return try parseLiteral("true", .bool(true))
        case "f": return try parseLiteral("false", .bool(false))
        case "n": return try parseLiteral("null", .null)
        case "'": throw failure("JSON strings use double quotes, found '")
        default:
            throw failure(
                "expected a value (object, array, string, number, true, false or null), found \(describeCurrent())")
        }
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> JSONValue {
        position += 1  // {
        var members: [JSONValue.Member] = []
        skipWhitespace()
        if current == "}" {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == "\"" else {
                if current == "'" { throw failure("JSON strings use double quotes, found '") }
                if current == "}" {
                    throw failure(
                        "expected a key in double quotes after ',', found '}' (trailing commas are not allowed)")
                }
                throw failure("expected a key in double quotes, found \(describeCurrent())")
            }
            let key = try parseString()
            skipWhitespace()
            guard current == ":" else {
                throw failure("expected ':' after the key \"\(key)\", found \(describeCurrent())")
            }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            members.append(JSONValue.Member(key, value))
            skipWhitespace()
            switch current {
            case ",": position += 1
            case "}":
                position += 1
                return .object(members)
            default: throw failure("expected ',' or '}' after an object member, found \(describeCurrent())")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> JSONValue {
        position += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == "]" {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            if current == "]" {
                throw failure("expected a value after ',', found ']' (trailing commas are not allowed)")
            }
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            switch current {
            case ",": position += 1
            case "]":
                position += 1
                return .array(elements)
            default: throw failure("expected ',' or ']' after an array element, found \(describeCurrent())")
            }
        }
    }

    private mutating func parseString() throws(Failure) -> String {
        let start = position
        position += 1  // opening quote
        var text = String.UnicodeScalarView()
        while true {
            guard let scalar = current else {
                position = start
                throw failure("unterminated string (no closing \")")
            }
            switch scalar {
            case "\"":
                position += 1
                return String(text)
            case "\\":
                position += 1
                text.append(try parseEscape())
            case _ where scalar.value < 0x20:
                throw failure("control character U+\(hex4(scalar.value)) in a string must be escaped")
            default:
                text.append(scalar)
                position += 1
            }
        }
    }

    /// After a backslash: one escape, leaving `position` after it.
    private mutating func parseEscape() throws(Failure) -> Unicode.Scalar {
        guard let scalar = current else { throw failure("unterminated string (no closing \")") }
        position += 1
        switch scalar {
        case "\"": return "\""
        case "\\": return "\\"
        case "/": return "/"
        case "b": return "\u{08}"
        case "f": return "\u{0C}"
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "u":
            let high = try parseHex4()
            if (0xD800...0xDBFF).contains(high) {
                guard current == "\\", peek(1) == "u" else {
                    throw failure("a \\u escape of a high surrogate must be followed by a low surrogate")
                }
                position += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw failure("a \\u escape of a high surrogate must be followed by a low surrogate")
                }
                // Valid by construction: a surrogate pair always encodes a scalar above U+FFFF.
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let decoded = Unicode.Scalar(high) else {
                throw failure("\\u\(hex4(high)) is a lone low surrogate, not a character")
            }
            return decoded
        default:
            position -= 1
            throw failure("invalid escape \\\(scalar) (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
        }
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let scalar = current, let digit = hexDigit(scalar) else {
                throw failure("expected four hex digits after \\u, found \(describeCurrent())")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private func hexDigit(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": return scalar.value - 48
        case "a"..."f": return scalar.value - 87
        case "A"..."F": return scalar.value - 55
        default: return nil
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, kept as text.
    private mutating func parseNumber() throws(Failure) -> String {
        let start = position
        if current == "-" { position += 1 }
        guard let first = current, ("0"..."9").contains(first) else {
            throw failure("expected a digit after '-', found \(describeCurrent())")
        }
        position += 1
        if first == "0", let next = current, ("0"..."9").contains(next) {
            throw failure("numbers cannot have leading zeros")
        }
        skipDigits()
        if current == "." {
            position += 1
            guard let digit = current, ("0"..."9").contains(digit) else {
                throw failure("expected a digit after the decimal point, found \(describeCurrent())")
            }
            skipDigits()
        }
        if current == "e" || current == "E" {
            position += 1
            if current == "+" || current == "-" { position += 1 }
            guard let digit = current, ("0"..."9").contains(digit) else {
                throw failure("expected a digit in the exponent, found \(describeCurrent())")
            }
            skipDigits()
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars[start..<position])
        return String(text)
    }

    private mutating func parseLiteral(_ word: String, _ value: JSONValue) throws(Failure) -> JSONValue {
        let start = position
        for expected in word.unicodeScalars {
            guard current == expected else {
                position = start
                throw failure("invalid literal, expected \(word)")
            }
            position += 1
        }
        if let next = current, next.properties.isAlphabetic || ("0"..."9").contains(next) {
            position = start
            throw failure("invalid literal, expected \(word)")
        }
        return value
    }

    // MARK: - Scanning

    private var atEnd: Bool { position >= scalars.count }

    private var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    private mutating func skipWhitespace() {
        while let scalar = current, scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
            position += 1
        }
    }

    private mutating func skipDigits() {
        while let scalar = current, ("0"..."9").contains(scalar) { position += 1 }
    }

    /// How an error names the character at `position`.
    private func describeCurrent() -> String {
        guard let scalar = current else { return "the end of the input" }
        if scalar.value < 0x20 || scalar.value == 0x7F { return "U+\(hex4(scalar.value))" }
        return "'\(scalar)'"
    }

    private func hex4(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private func failure(_ reason: String) -> Failure {
        var line = 1
        var column = 1
        for scalar in scalars[..<min(position, scalars.count)] {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return Failure(character: position + 1, line: line, column: column, reason: reason)
    }
}
