import Foundation

extension ConnectionConfiguration {
    /// `target` with `database` folded in: one URL or conninfo string for the same server, credentials
    /// and database, to hand to another program (`psql`, a child `offload`) as `DATABASE_URL`.
    ///
    /// Without a `database` override this is `target` itself. A URL gets a `dbname` query parameter:
    /// libpq reads the query after the path, so it wins over the path's database
    /// (`postgresql://h/a?dbname=b` connects to `b`; checked with libpq 15). A conninfo string gets a
    /// trailing `dbname='…'`: in conninfo the last setting of a keyword wins.
    ///
    /// It carries the password when `target` does: pass it through the environment, never print it
    /// (`ConnectionConfiguration.redact` makes a printable copy).
    public var resolvedTarget: String {
        guard let database else { return target }
        if Self.isURL(target) {
            let separator = target.hasSuffix("?") || target.hasSuffix("&") ? "" : target.contains("?") ? "&" : "?"
            return target + separator + "dbname=" + Self.percentEncoded(database)
        }
        let quoted = "'" + database.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "'", with: "\\'") + "'"
        let trimmed = target.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? "dbname=\(quoted)" : "\(trimmed) dbname=\(quoted)"
    }

    /// libpq takes a target as a URL when it starts with one of these prefixes, else as conninfo.
    static func isURL(_ target: String) -> Bool {
        target.hasPrefix("postgresql://") || target.hasPrefix("postgres://")
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF")
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0x0f)])
            }
        }
        return encoded
    }
}
