import Foundation
import Hummingbird

/// The API's request context: Hummingbird's basic one, with JSON answers that leave `/` unescaped
/// (`"https://example.com/feed"`, not `"https:\/\/example.com\/feed"`).
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }

    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }
}
