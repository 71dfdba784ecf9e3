/// One-dimensional arrays (`bigint[]`, `text[]`, …) in PostgreSQL's text format: `{1,2,NULL}`.
extension Array: PGEncodable where Element: PGEncodable {
    public func pgText() throws -> String? {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(2 + count * 8)
        for (index, element) in enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            guard let value = try element.pgText() else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            PGArrayEncoder.append(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Writes array elements in the text format PostgreSQL's `array_in` reads.
enum PGArrayEncoder {
    /// Appends `value` bare when `array_in` would read it back unchanged (numbers, ids, most words),
    /// else double-quoted with `"` and `\` escaped. Quoted are: the empty string, any case of NULL,
    /// and text containing braces, commas, quotes, backslashes or white space (which `array_in` would
    /// split on, unescape or trim).
    static func append(_ value: String, to bytes: inout [UInt8]) {
        var needsQuotes = value.isEmpty || value.utf8.count == 4 && value.lowercased() == "null"
        if !needsQuotes {
            for byte in value.utf8 where Self.isSpecial(byte) {
                needsQuotes = true
                break
            }
        }
        guard needsQuotes else {
            bytes.append(contentsOf: value.utf8)
            return
        }
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func isSpecial(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\\"):
            return true
        case UInt8(ascii: " "), 0x09...0x0D:  // space, tab, newline, vertical tab, form feed, carriage return
            return true
        default:
            return false
        }
    }
}

extension Array: PGDecodable where Element: PGDecodable {
    public init(pgText text: String) throws {
        self = try PGArrayParser.elements(of: text).map { element in
            guard let element else {
                if let optional = Element.self as? any PGNullable.Type { return optional.pgNull as! Element }
                throw PGError(.decoding, "array contains NULL; decode as [\(Element.self)?]")
            }
            return try Element(pgText: element)
        }
    }
}

/// Splits the text form of a one-dimensional array into its elements (nil for NULL).
enum PGArrayParser {
    static func elements(of text: String) throws -> [String?] {
        var scalars = Substring(text).unicodeScalars[...]
        // An explicit lower bound, e.g. "[0:2]={…}", precedes the braces.
        if scalars.first == "[", let equals = scalars.firstIndex(of: "=") {
            scalars = scalars[scalars.index(after: equals)...]
        }
        guard scalars.first == "{", scalars.last == "}" else {
            throw PGError.cannotDecode(text, as: "array")
        }
        scalars = scalars.dropFirst().dropLast()
        if scalars.isEmpty { return [] }
        var elements: [String?] = []
        var current = String.UnicodeScalarView()
        var quoted = false
        var wasQuoted = false
        var escaping = false
        for scalar in scalars {
            if escaping {
                current.append(scalar)
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else if scalar == "\"" {
                quoted.toggle()
                wasQuoted = true
            } else if scalar == "," && !quoted {
                elements.append(finish(current, wasQuoted: wasQuoted))
                current = String.UnicodeScalarView()
                wasQuoted = false
            } else if scalar == "{" && !quoted {
                throw PGError(.decoding, "multi-dimensional arrays are not supported")
            } else {
                current.append(scalar)
            }
        }
        elements.append(finish(current, wasQuoted: wasQuoted))
        return elements
    }

    private static func finish(_ scalars: String.UnicodeScalarView, wasQuoted: Bool) -> String? {
        let value = String(scalars)
        return !wasQuoted && value == "NULL" ? nil : value
    }
}

/// Lets optionals be decoded: NULL becomes nil (in a column or an array element).
extension Optional: PGDecodable where Wrapped: PGDecodable {
    public init(pgText text: String) throws {
        self = try Wrapped(pgText: text)
    }
}

/// A type with a value for SQL NULL; only `Optional` conforms.
public protocol PGNullable {
    static var pgNull: Self { get }
}

extension Optional: PGNullable {
    public static var pgNull: Self { nil }
}
