import Testing

@testable import OffloadCLI

@Suite("JSONParser")
struct JSONParserTests {
    @Test func parsesEveryKindKeepingOrderAndNumberText() throws {
        let value = try JSONParser.parse(
            #" {"b": [1, -0.5e3, true, false, null], "a": {"x": "y\n\u00e9\ud83d\ude00"}, "n": 123456789012345678901234567890} "#
        )
        #expect(
            value
                == .object([
                    .init("b", .array([.number("1"), .number("-0.5e3"), .bool(true), .bool(false), .null])),
                    .init("a", .object([.init("x", .string("y\né😀"))])),
                    .init("n", .number("123456789012345678901234567890")),
                ]))
        #expect(try JSONParser.parse("{}") == .object([]))
        #expect(try JSONParser.parse("[]") == .array([]))
        #expect(try JSONParser.parse("\"x\"") == .string("x"))
    }

    @Test(arguments: [
        (#"{"userId": 7,, "x": 1}"#, 14, "expected a key in double quotes, found ','"),
        (#"{"a": 1,}"#, 9, "expected a key in double quotes after ',', found '}' (trailing commas are not allowed)"),
        (#"[1, 2,]"#, 7, "expected a value after ',', found ']' (trailing commas are not allowed)"),
        (#"{"a" 1}"#, 6, "expected ':' after the key \"a\", found '1'"),
        (#"{"a": 1 "b": 2}"#, 9, "expected ',' or '}' after an object member, found '\"'"),
        (#"{'a': 1}"#, 2, "JSON strings use double quotes, found '"),
        (#"{"a": tru}"#, 7, "invalid literal, expected true"),
        (#"{"a": nulls}"#, 7, "invalid literal, expected null"),
        (#"{"a": 01}"#, 8, "numbers cannot have leading zeros"),
        (#"{"a": 1.}"#, 9, "expected a digit after the decimal point, found '}'"),
        (#"{"a": -}"#, 8, "expected a digit after '-', found '}'"),
        (#"{"a": "x"#, 7, "unterminated string (no closing \")"),
        (#"{"a": "\q"}"#, 9, "invalid escape \\q (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"),
        (#"{"a": "\u12"}"#, 12, "expected four hex digits after \\u, found '\"'"),
        (#"{"a": "\udc00"}"#, 14, "\\uDC00 is a lone low surrogate, not a character"),
        (#"{"a": 1} x"#, 10, "unexpected 'x' after the end of the JSON value"),
        (#"{"a": hello}"#, 7, "expected a value (object, array, string, number, true, false or null), found 'h'"),
        ("", 1, "no JSON value (the text is empty)"),
        ("{", 2, "expected a key in double quotes, found the end of the input"),
        (#"{"a":"#, 6, "unexpected end of input, expected a value"),
        ("{\"a\": \"x\ty\"}", 9, "control character U+0009 in a string must be escaped"),
    ])
    func reportsPositionAndReason(text: String, character: Int, reason: String) {
        do {
            _ = try JSONParser.parse(text)
            Issue.record("parsed invalid JSON: \(text)")
        } catch {
            #expect(error.character == character)
            #expect(error.reason == reason)
        }
    }

    @Test func multiLineErrorsGiveLineAndColumn() {
        do {
            _ = try JSONParser.parse("{\n  \"a\": 1,\n  \"b\": ]\n}")
            Issue.record("parsed invalid JSON")
        } catch {
            #expect(
                error.description
                    == "invalid JSON at line 3, column 8: expected a value (object, array, string, number, true, false or null), found ']'"
            )
        }
        do {
            _ = try JSONParser.parse(#"{"a": 1,, }"#)
        } catch {
            #expect(error.description == "invalid JSON at character 9: expected a key in double quotes, found ','")
        }
    }

    @Test func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
    }
}

@Suite("JSONValue rendering")
struct JSONValueRenderingTests {
    @Test func rendersPrettyAndCompactWithEscapes() throws {
        let value = JSONValue.fields([
            "id": .int(42), "name": .string("Zoë \"quoted\"\n\u{01}"), "none": .text(nil), "rate": .double(0.25),
            "whole": .double(3), "list": .array([.int(1), .fields([:])]), "empty": .array([]),
        ])
        #expect(
            value.rendered(pretty: false)
                == #"{"id":42,"name":"Zoë \"quoted\"\n\u0001","none":null,"rate":0.25,"whole":3,"list":[1,{}],"empty":[]}"#
        )
        #expect(
            JSONValue.fields(["a": .array([.int(1)]), "b": .fields(["c": .bool(true)])]).rendered() == """
                {
                  "a": [
                    1
                  ],
                  "b": {
                    "c": true
                  }
                }
                """)
    }

    @Test func roundTripsThroughTheParser() throws {
        let text = #"{"a":[1,2.5e-3,"x\\y\"z"],"b":{"c":null,"d":false},"e":"é😀"}"#
        #expect(try JSONParser.parse(text).rendered(pretty: false) == text)
        #expect(try JSONParser.parse(JSONParser.parse(text).rendered()) == JSONParser.parse(text))
    }

    @Test func nonFiniteDoublesAreNull() {
        #expect(JSONValue.double(.nan) == .null)
        #expect(JSONValue.double(.infinity) == .null)
    }
}
