extension StringProtocol {
    /// The text with every character that could steer a terminal or split a log line written as a
    /// visible escape, the way JSON writes it: `\n`, `\r`, `\t`, `\b`, `\f`, else `\u001b` and so on.
    ///
    /// Stored text (function, queue and event names, error messages, worker ids, tags, keys) comes from
    /// whoever can enqueue. Printed raw, `ESC ] 0 ; … BEL` sets a terminal's title, `ESC [ 2 J` clears
    /// its screen and a newline forges a log line. Escaped are the C0 controls, DEL, the C1 controls
    /// (U+009B is a one-character `ESC [` to many terminals), the line and paragraph separators, and the
    /// bidirectional embeddings, overrides and isolates (they reorder what a reader sees). Backslashes are
    /// left alone, so paths and patterns stay readable; this is for people, not for parsing.
    package var escapingControlCharacters: String {
        escapingControlCharacters(keepingNewlines: false)
    }

    /// `escapingControlCharacters`, optionally keeping line feeds, for multi-line text shown as a block
    /// (an error message with a stack of causes) whose every line the caller indents.
    package func escapingControlCharacters(keepingNewlines: Bool) -> String {
        func escapes(_ scalar: Unicode.Scalar) -> Bool {
            scalar.isUnsafeForTerminals && !(keepingNewlines && scalar == "\n")
        }
        guard unicodeScalars.contains(where: escapes) else { return String(self) }
        var output = ""
        output.reserveCapacity(utf8.count + 16)
        for scalar in unicodeScalars {
            guard escapes(scalar) else {
                output.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex
            }
        }
        return output
    }
}

extension Unicode.Scalar {
    /// Whether printing this scalar raw could move the cursor, start an escape sequence, end a line or
    /// reorder the text around it.
    package var isUnsafeForTerminals: Bool {
        switch value {
        case 0x00...0x1F, 0x7F...0x9F: true  // C0 controls, DEL, C1 controls
        case 0x2028, 0x2029: true  // line and paragraph separators
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidirectional marks and controls
        default: false
        }
    }
}
