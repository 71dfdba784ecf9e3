import Foundation

/// The body of `POST /api/connectSource`: `{"userId": 7, "url": "https://example.com/feed"}`.
public struct ConnectSourceRequest: Decodable, Sendable, Equatable {
    /// Whose source it is: a positive integer.
    public var userId: Int64
    /// Where the source lives: an http or https URL with a host.
    public var url: String

    /// A request with these fields, unchecked.
    public init(userId: Int64, url: String) {
        self.userId = userId
        self.url = url
    }

    enum CodingKeys: String, CodingKey {
        case userId, url
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            userId = try container.decode(Int64.self, forKey: .userId)
        } catch let error as DecodingError {
            throw error
        } catch {
            // Foundation on Linux throws an internal error for a number like 1.5 that doesn't fit an
            // integer, which JSONDecoder then reports as "not valid JSON"; say what it is instead.
            throw DecodingError.typeMismatch(
                Int64.self,
                DecodingError.Context(codingPath: [CodingKeys.userId], debugDescription: "\(error)")
            )
        }
        url = try container.decode(String.self, forKey: .url)
    }

    static let example = #"{"userId": 7, "url": "https://example.com/feed"}"#

    /// Decodes and checks a request body; the error's message says what is wrong, for a 400.
    public static func parse(_ body: some Collection<UInt8>) throws(InvalidRequest) -> ConnectSourceRequest {
        guard !body.isEmpty else { throw InvalidRequest("the body is empty; send JSON like \(example)") }
        let request: ConnectSourceRequest
        do {
            request = try JSONDecoder().decode(ConnectSourceRequest.self, from: Data(body))
        } catch let error as DecodingError {
            throw InvalidRequest(describing: error)
        } catch {
            throw InvalidRequest("the body is not valid JSON; send JSON like \(example)")
        }
        guard request.userId > 0 else { throw InvalidRequest("\"userId\" must be a positive integer") }
        guard let url = URL(string: request.url), let scheme = url.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty
        else {
            throw InvalidRequest("\"url\" must be an http or https URL with a host, like https://example.com/feed")
        }
        return request
    }
}

/// Why a request body was refused.
public struct InvalidRequest: Error, Equatable, CustomStringConvertible {
    /// What is wrong, said to the client.
    public var message: String
    public var description: String { message }

    init(_ message: String) { self.message = message }

    init(describing error: DecodingError) {
        switch error {
        case .keyNotFound(let key, _):
            self.init("missing field \"\(key.stringValue)\"; send JSON like \(ConnectSourceRequest.example)")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            self.init(wrongType: context.codingPath.last?.stringValue)
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            // A value that parsed but doesn't fit, like 1.5 for an integer.
            self.init(wrongType: context.codingPath.last?.stringValue)
        case .dataCorrupted:
            self.init("the body is not valid JSON; send JSON like \(ConnectSourceRequest.example)")
        @unknown default:
            self.init("the body could not be read; send JSON like \(ConnectSourceRequest.example)")
        }
    }

    private init(wrongType field: String?) {
        switch field {
        case "userId": self.init("\"userId\" must be an integer")
        case "url": self.init("\"url\" must be a string")
        case .some(let other): self.init("\"\(other)\" has the wrong type")
        case nil: self.init("the body must be a JSON object like \(ConnectSourceRequest.example)")
        }
    }
}
