import Foundation

extension ConnectionConfiguration {
    /// One connection string that says everything this configuration does — `target` with `database`
    /// applied — and optionally another user and password: what a child process needs in its
    /// `DATABASE_URL`, or a test that connects as another role.
    ///
    /// A `postgres://` URL stays a URL (user, password and path replaced); a conninfo string gets
    /// `dbname`, `user` and `password` keywords appended, which win because libpq keeps the last
    /// value of a repeated keyword. Never log the result: use ``redact(_:)``.
    public func connectionString(user: String? = nil, password: String? = nil) -> String {
        if Self.isURL(target), var components = URLComponents(string: target) {
            if let database {
                components.percentEncodedPath = "/" + Self.percentEncode(database)
                // A dbname in the query string would win over the path.
                components.queryItems = components.queryItems?.filter { $0.name != "dbname" }
                if components.queryItems?.isEmpty == true { components.queryItems = nil }
            }
            if let user { components.percentEncodedUser = Self.percentEncode(user) }
            if let password { components.percentEncodedPassword = Self.percentEncode(password) }
            if let url = components.string { return url }
        }
        // A URL that Foundation cannot parse is passed on as it is (libpq may still understand it).
        if Self.isURL(target) { return target }
        var parts = target.isEmpty ? [] : [target]
        if let database { parts.append("dbname=\(Self.quoteConninfo(database))") }
        if let user { parts.append("user=\(Self.quoteConninfo(user))") }
        if let password { parts.append("password=\(Self.quoteConninfo(password))") }
        return parts.joined(separator: " ")
    }

    static func isURL(_ target: String) -> Bool {
        target.hasPrefix("postgresql://") || target.hasPrefix("postgres://")
    }

    /// Everything but unreserved characters percent-encoded, as libpq decodes URL parts.
    private static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// A conninfo value in single quotes, with `\` and `'` escaped ("Single quotes and backslashes
    /// within the value must be escaped with a backslash", libpq docs, 34.1.1.1).
    private static func quoteConninfo(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
