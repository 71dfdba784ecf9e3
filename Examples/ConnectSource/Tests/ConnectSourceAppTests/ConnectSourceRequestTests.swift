import Testing

@testable import ConnectSourceApp

@Suite struct ConnectSourceRequestTests {
    func parse(_ json: String) throws(InvalidRequest) -> ConnectSourceRequest {
        try ConnectSourceRequest.parse(Array(json.utf8))
    }

    func message(_ json: String) -> String? {
        do {
            _ = try parse(json)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func acceptsAUserAndAnHTTPURL() throws {
        #expect(
            try parse(#"{"userId": 7, "url": "https://example.com/feed"}"#)
                == .init(userId: 7, url: "https://example.com/feed"))
    }

    @Test func namesTheMissingField() {
        #expect(message(#"{"url": "https://example.com"}"#)?.hasPrefix(#"missing field "userId""#) == true)
        #expect(message(#"{"userId": 7}"#)?.hasPrefix(#"missing field "url""#) == true)
    }

    @Test func saysWhenTheBodyIsNotJSON() {
        #expect(message("")?.hasPrefix("the body is empty") == true)
        #expect(message("{userId: 7")?.hasPrefix("the body is not valid JSON") == true)
        #expect(message("[1, 2]")?.hasPrefix("the body must be a JSON object") == true)
    }

    @Test func saysWhichFieldHasTheWrongType() {
        #expect(message(#"{"userId": "seven", "url": "https://example.com"}"#) == #""userId" must be an integer"#)
        #expect(message(#"{"userId": 1.5, "url": "https://example.com"}"#) == #""userId" must be an integer"#)
        #expect(message(#"{"userId": 7, "url": 3}"#) == #""url" must be a string"#)
        #expect(message(#"{"userId": null, "url": "https://example.com"}"#) == #""userId" must be an integer"#)
    }

    @Test func checksTheValues() {
        #expect(message(#"{"userId": 0, "url": "https://example.com"}"#) == #""userId" must be a positive integer"#)
        #expect(message(#"{"userId": 7, "url": "ftp://example.com"}"#)?.hasPrefix(#""url" must be an http"#) == true)
        #expect(message(#"{"userId": 7, "url": "not a url"}"#)?.hasPrefix(#""url" must be an http"#) == true)
    }
}
