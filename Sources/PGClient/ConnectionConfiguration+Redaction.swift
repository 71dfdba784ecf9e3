import Foundation

extension ConnectionConfiguration {
    /// A password in a connection target: where it is written, and every form in which libpq or the
    /// server may echo it in a message.
    struct PasswordSpan {
        /// The characters to replace by `***` (quotes included for a quoted conninfo value).
        var range: Range<String.Index>
        /// The password as written, unescaped, percent-decoded, and the pieces libpq takes for
        /// something else (the part of a URL password after an unencoded `@` becomes the host name).
        var secrets: [String]
    }

    /// `target` with every password replaced by `***`, in each form libpq accepts:
    /// - URL userinfo (`postgres://user:secret@host`), the password possibly holding unencoded `@`,
    ///   `:`, `/` or `?` (libpq splits at the first `@`; everything up to the last one is redacted);
    /// - URL query parameters (`?password=…`, `sslpassword=…`, the name possibly percent-encoded);
    /// - conninfo values (`password=secret`, `password='it\'s secret'`, `password=ab\ cd`), and the bare
    ///   words after an unquoted one (`password=ab cd`), which libpq would echo in its error.
    public static func redact(_ target: String) -> String {
        var text = target
        for span in passwordSpans(in: target).sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            text.replaceSubrange(span.range, with: "***")
        }
        return text
    }

    static func passwordSpans(in target: String) -> [PasswordSpan] {
        if let scheme = target.range(of: "://") {
            return urlPasswordSpans(target, after: scheme.upperBound)
        }
        return conninfoPasswordSpans(target)
    }

    // MARK: - URLs

    private static func urlPasswordSpans(_ text: String, after start: String.Index) -> [PasswordSpan] {
        var spans: [PasswordSpan] = []
        let rest = text[start...]
        let firstQuestion = rest.firstIndex(of: "?")
        // The userinfo ends at the last `@` before the query; failing that (a `?` in the password), at
        // the last `@` not preceded by an `=` (which would make it part of a query parameter).
        var userinfoEnd = rest[..<(firstQuestion ?? rest.endIndex)].lastIndex(of: "@")
        if userinfoEnd == nil {
            userinfoEnd = rest.indices.last { rest[$0] == "@" && !rest[..<$0].contains("=") }
        }
        var queryStart = firstQuestion
        if let userinfoEnd {
            queryStart = rest[userinfoEnd...].firstIndex(of: "?")
            let userinfo = rest[..<userinfoEnd]
            if let colon = userinfo.firstIndex(of: ":") {
                let password = rest[rest.index(after: colon)..<userinfoEnd]
                var secrets = withDecoded(String(password))
                // libpq takes the password up to the first `@` and the rest as the host, which it names
                // in "could not translate host name": that rest, with its `@`, is a secret too.
                if let at = password.firstIndex(of: "@") {
                    secrets += withDecoded(String(password[password.index(after: at)...]) + "@")
                }
                spans.append(PasswordSpan(range: password.startIndex..<password.endIndex, secrets: secrets))
            }
        }
        guard let queryStart else { return spans }
        var index = text.index(after: queryStart)
        while index < text.endIndex {
            let end = text[index...].firstIndex(of: "&") ?? text.endIndex
            let parameter = text[index..<end]
            if let equals = parameter.firstIndex(of: "=") {
                let name = String(parameter[..<equals])
                if (name.removingPercentEncoding ?? name).lowercased().contains("password") {
                    let value = text[text.index(after: equals)..<end]
                    spans.append(
                        PasswordSpan(range: value.startIndex..<value.endIndex, secrets: withDecoded(String(value))))
                }
            }
            index = end < text.endIndex ? text.index(after: end) : end
        }
        return spans
    }

    private static func withDecoded(_ value: String) -> [String] {
        guard let decoded = value.removingPercentEncoding, decoded != value else { return [value] }
        return [value, decoded]
    }

    // MARK: - conninfo

    /// Reads `keyword = value` pairs as libpq's conninfo parser does: whitespace around `=` allowed, a
    /// value either single-quoted or running to the next whitespace, and `\` escaping the next
    /// character in both ("Single quotes and backslashes within the value must be escaped with a
    /// backslash", libpq docs, 34.1.1.1).
    private static func conninfoPasswordSpans(_ text: String) -> [PasswordSpan] {
        var spans: [PasswordSpan] = []
        var index = text.startIndex
        func skipSpaces() {
            while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) }
        }
        /// A value from `index`: its unescaped text; `index` ends after it.
        func value() -> (text: String, quoted: Bool) {
            var unescaped = ""
            let quoted = index < text.endIndex && text[index] == "'"
            if quoted { index = text.index(after: index) }
            while index < text.endIndex {
                let character = text[index]
                if quoted ? character == "'" : character.isWhitespace { break }
                if character == "\\" {
                    index = text.index(after: index)
                    guard index < text.endIndex else { break }
                }
                unescaped.append(text[index])
                index = text.index(after: index)
            }
            if quoted, index < text.endIndex { index = text.index(after: index) }
            return (unescaped, quoted)
        }
        /// Whether a bare word (no `=` after it) starts at `index`.
        func bareWordFollows() -> Bool {
            var probe = index
            while probe < text.endIndex, text[probe].isWhitespace { probe = text.index(after: probe) }
            guard probe < text.endIndex, text[probe] != "'" else { return false }
            while probe < text.endIndex, !text[probe].isWhitespace, text[probe] != "=" {
                probe = text.index(after: probe)
            }
            while probe < text.endIndex, text[probe].isWhitespace { probe = text.index(after: probe) }
            return probe == text.endIndex || text[probe] != "="
        }
        while true {
            skipSpaces()
            guard index < text.endIndex else { break }
            let keywordStart = index
            while index < text.endIndex, !text[index].isWhitespace, text[index] != "=" {
                index = text.index(after: index)
            }
            let keyword = text[keywordStart..<index]
            skipSpaces()
            guard index < text.endIndex, text[index] == "=" else { continue }  // libpq: missing "="
            index = text.index(after: index)
            skipSpaces()
            let valueStart = index
            let (unescaped, quoted) = value()
            guard keyword.lowercased().contains("password") else { continue }
            var secrets = [String(text[valueStart..<index]), unescaped]
            // `password=ab cd`: libpq takes "ab" and fails on "cd" (missing "=" after "cd"), echoing it.
            while !quoted, bareWordFollows() {
                skipSpaces()
                let wordStart = index
                while index < text.endIndex, !text[index].isWhitespace { index = text.index(after: index) }
                secrets.append(String(text[wordStart..<index]))
            }
            spans.append(PasswordSpan(range: valueStart..<index, secrets: secrets.filter { !$0.isEmpty }))
        }
        return spans
    }
}
