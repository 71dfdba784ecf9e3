import Foundation
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
        return PGJSON(rawJSON: json)
    }
}
