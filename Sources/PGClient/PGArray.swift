/// One-dimensional arrays (`bigint[]`, `text[]`, …) in PostgreSQL's text format: `{1,2,NULL}`.
extension Array: PGEncodable where Element: PGEncodable {
    public func pgText() throws -> String? {
        var text = "{"
        for (index, element) in enumerated() {
            if index > 0 { text += "," }
            guard let value = try element.pgText() else {
                text += "NULL"
                continue
            }
            // Quoting every element keeps commas, braces, spaces and the word NULL as data.
            text += "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" { text += "\\" }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
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
