import Foundation
import Testing

@testable import PGClient

/// Issue 13, finding 9: valid JSON the type cannot hold was reported as "not valid JSON".
@Suite("JSON decoding messages")
struct JSONDecodingMessageTests {
    struct Arguments: Decodable {
        var count: Int
        var name: String
    }

    private func message(_ json: String) -> String {
        do {
            _ = try PGJSON.decode(Arguments.self, from: json)
            return ""
        } catch let error as PGError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func numberTooLargeForIntIsNotCalledInvalidJSON() {
        let text = message(#"{"count": 99999999999999999999, "name": "x"}"#)
        #expect(!text.contains("not valid JSON"), "\(text)")
        #expect(text.contains("the JSON is valid but does not match the type"), "\(text)")
        #expect(text.contains("$.count = "), "\(text)")
    }

    @Test func fractionForAnIntNamesThePath() {
        let text = message(#"{"count": 1.5, "name": "x"}"#)
        #expect(text.contains("$.count = 1.5"), "\(text)")
    }

    @Test func invalidJSONStaysInvalidJSON() {
        #expect(message(#"{"count": 1"#).contains("not valid JSON"))
    }

    @Test func mismatchesKeepTheirPath() {
        #expect(message(#"{"count": "seven", "name": "x"}"#).contains("expected Int at $.count"))
        #expect(message(#"{"name": "x"}"#).contains(#"missing key "count""#))
    }
}
