import Foundation
import Hummingbird

/// The API's request context: Hummingbird's basic one, with JSON answers that leave `/` unescaped
/// (`"https://example.com/feed"`, not `"https:\/\/example.com\/feed"`).
public struct AppRequestContext: RequestContext {
    /// What Hummingbird keeps for every request.
    public var coreContext: CoreRequestContextStorage

    /// A context for a request on a connection of the application.
    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }

    /// The encoder for `Encodable` answers: `/` unescaped.
    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }
}
