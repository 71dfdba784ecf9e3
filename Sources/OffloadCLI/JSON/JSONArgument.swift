import Foundation
import Offload
import PGClient

/// A JSON object given on the command line (or `-` for standard input), checked before it reaches the
/// database so that a mistake is reported with its position.
enum JSONArgument {
    /// Reads `text` (or standard input for `-`) and checks that it is a JSON object; `role` names it
    /// in errors ("arguments", "data"). Returns the text as given, for the database to store.
    static func object(_ text: String, role: String) throws -> PGJSON {
        let json = text == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : text
        let value: JSONValue
        do {
            value = try JSONParser.parse(json)
        } catch {
            throw CLIError("\(role): \(error)")
        }
        guard case .object = value else {
            throw CLIError("\(role) must be a JSON object such as '{\"userId\": 7}', not \(value.kindDescription)")
        }
        if let path = value.pathOfNUL() {
            throw CLIError(
                "\(role): the string at \(path) contains \\u0000 (NUL), which PostgreSQL's jsonb cannot store; remove it or encode the bytes (e.g. base64)"
            )
        }
        return PGJSON(rawJSON: json)
    }
}

extension JSONValue {
    /// Where the first string (a key or a value) holding U+0000 is, as a JSON path (`$.a[2]`); nil
    /// when there is none. PostgreSQL refuses `\u0000` in jsonb ("unsupported Unicode escape sequence").
    func pathOfNUL(at path: String = "$") -> String? {
        switch self {
        case .null, .bool, .number: return nil
        case .string(let text): return text.unicodeScalars.contains("\u{0}") ? path : nil
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let found = element.pathOfNUL(at: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let members):
            for member in members {
                let memberPath = "\(path).\(member.key.escapingControlCharacters)"
                if member.key.unicodeScalars.contains("\u{0}") { return memberPath }
                if let found = member.value.pathOfNUL(at: memberPath) { return found }
            }
            return nil
        }
    }
}
