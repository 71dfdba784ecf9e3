import ArgumentParser
import Offload
import Testing

@testable import OffloadCLI

/// Stored text is shown with the characters that steer terminals escaped, in tables, in the `jobs show`
/// fields, in JSON and in error messages.
@Suite("Control characters in human output")
struct ControlCharacterTests {
    @Test(arguments: [
        ("plain name", "plain name"),
        ("title\u{1B}]0;pwned\u{07}", #"title\u001b]0;pwned\u0007"#),
        ("clear\u{1B}[2J", #"clear\u001b[2J"#),
        ("two\nlines\r\tx", #"two\nlines\r\tx"#),
        ("c1\u{9B}31m del\u{7F}", #"c1\u009b31m del\u007f"#),
        ("bidi\u{202E}txt.exe\u{2028}", #"bidi\u202etxt.exe\u2028"#),
        ("nul\u{0}\u{08}\u{0C}", #"nul\u0000\b\f"#),
        (#"back\slash and Zoë ✓"#, #"back\slash and Zoë ✓"#),
    ])
    func escapesControlCharacters(text: String, expected: String) {
        #expect(text.escapingControlCharacters == expected)
        let unsafe = text.escapingControlCharacters.unicodeScalars.filter(\.isUnsafeForTerminals)
        #expect(unsafe.isEmpty)
    }

    @Test func keepsNewlinesWhenAsked() {
        #expect(
            "one\ntwo\r\u{1B}[K".escapingControlCharacters(keepingNewlines: true) == #"one"# + "\n" + #"two\r\u001b[K"#)
    }

    @Test func tableCellsAreEscapedAndAligned() {
        let table = TextTable.render([["A", "B"], ["x\u{1B}[2J\ny", "z"]])
        #expect(table == "A              B\n" + #"x\u001b[2J\ny  z"#)
    }

    @Test func jsonStringsEscapeC1AndBidiControls() {
        let rendered = JSONValue.string("a\u{1B}b\u{9B}c\u{202E}d\u{7F}").rendered()
        #expect(rendered == #""a\u001bb\u009bc\u202ed\u007f""#)
    }

    @Test func ourErrorsAreEscapedArgumentParsersAreNot() {
        let escaped = OffloadCommand.terminalSafe(CLIError("no job\u{1B}[2J here\nhint: something"))
        #expect("\(escaped)" == #"no job\u001b[2J here"# + "\nhint: something")
        let plain = CLIError("nothing to escape")
        #expect("\(OffloadCommand.terminalSafe(plain))" == "nothing to escape")
        #expect(OffloadCommand.terminalSafe(ValidationError("x\u{1B}")) is ValidationError)
    }
}
