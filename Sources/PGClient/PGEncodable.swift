import Foundation

/// A Swift value that can be sent to PostgreSQL as a bind parameter in text format.
public protocol PGEncodable: Sendable {
    /// The value in PostgreSQL's text input format; nil sends SQL NULL.
    func pgText() throws -> String?
}

/// A Swift value that can be read from a column in PostgreSQL's text output format.
public protocol PGDecodable: Sendable {
    /// Parses the text of a non-NULL value. Throws a `PGError` with code `.decoding` on bad input.
    init(pgText text: String) throws
}

extension String: PGEncodable, PGDecodable {
    public func pgText() -> String? { self }
    public init(pgText text: String) { self = text }
}

extension Substring: PGEncodable {
    public func pgText() -> String? { String(self) }
}

extension Bool: PGEncodable, PGDecodable {
    public func pgText() -> String? { self ? "t" : "f" }
    public init(pgText text: String) throws {
        switch text {
        case "t", "true", "TRUE", "1", "on", "yes": self = true
        case "f", "false", "FALSE", "0", "off", "no": self = false
        default: throw PGError.cannotDecode(text, as: "Bool")
        }
    }
}

extension Int: PGEncodable, PGDecodable {
    public func pgText() -> String? { String(self) }
    public init(pgText text: String) throws {
        guard let value = Int(text) else { throw PGError.cannotDecode(text, as: "Int") }
        self = value
    }
}

extension Int64: PGEncodable, PGDecodable {
    public func pgText() -> String? { String(self) }
    public init(pgText text: String) throws {
        guard let value = Int64(text) else { throw PGError.cannotDecode(text, as: "Int64") }
        self = value
    }
}

extension Int32: PGEncodable, PGDecodable {
    public func pgText() -> String? { String(self) }
    public init(pgText text: String) throws {
        guard let value = Int32(text) else { throw PGError.cannotDecode(text, as: "Int32") }
        self = value
    }
}

extension Int16: PGEncodable, PGDecodable {
    public func pgText() -> String? { String(self) }
    public init(pgText text: String) throws {
        guard let value = Int16(text) else { throw PGError.cannotDecode(text, as: "Int16") }
        self = value
    }
}

extension Double: PGEncodable, PGDecodable {
    public func pgText() -> String? {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return "\(self)"
    }
    public init(pgText text: String) throws {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(text) else { throw PGError.cannotDecode(text, as: "Double") }
            self = value
        }
    }
}

extension Float: PGEncodable, PGDecodable {
    public func pgText() -> String? { Double(self).pgText() }
    public init(pgText text: String) throws { self = Float(try Double(pgText: text)) }
}

extension Decimal: PGEncodable, PGDecodable {
    public func pgText() -> String? { "\(self)" }
    /// Parses `numeric` text exactly (no binary floating point on the way).
    public init(pgText text: String) throws {
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw PGError.cannotDecode(text, as: "Decimal")
        }
        self = value
    }
}

extension UUID: PGEncodable, PGDecodable {
    public func pgText() -> String? { uuidString.lowercased() }
    public init(pgText text: String) throws {
        guard let value = UUID(uuidString: text) else { throw PGError.cannotDecode(text, as: "UUID") }
        self = value
    }
}

/// `bytea`: sent and read in PostgreSQL's hex format (`\x0a1b…`).
extension Data: PGEncodable, PGDecodable {
    public func pgText() -> String? {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        bytes.reserveCapacity(2 + count * 2)
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public init(pgText text: String) throws {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw PGError.cannotDecode("bytea value not in hex format", as: "Data", quoting: false)
        }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else {
                throw PGError.cannotDecode("invalid hex digit in bytea", as: "Data", quoting: false)
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = Data(bytes)
    }
}

extension Optional: PGEncodable where Wrapped: PGEncodable {
    public func pgText() throws -> String? {
        guard let self else { return nil }
        return try self.pgText()
    }
}

extension PGError {
    /// A decoding failure that quotes at most a short prefix of the offending text.
    static func cannotDecode(_ text: String, as type: String, quoting: Bool = true) -> PGError {
        let shown = quoting ? "\"\(text.prefix(40))\(text.count > 40 ? "…" : "")\"" : text
        return PGError(.decoding, "cannot decode \(shown) as \(type)")
    }
}
