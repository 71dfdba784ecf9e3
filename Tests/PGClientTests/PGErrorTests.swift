import Testing

@testable import PGClient

@Suite("PGError")
struct PGErrorTests {
    /// DETAIL quotes data (`Key (unique_key)=(secret) already exists`): it stays in its own field, out
    /// of what logs and the jobs' errors column show.
    @Test func descriptionLeavesTheServersDetailOut() {
        let error = PGError(
            .server, "duplicate key value violates unique constraint \"jobs_unique_key_idx\"",
            sqlState: .uniqueViolation, detail: "Key (unique_key)=(customer-4242-secret) already exists.",
            hint: "Use another key."
        )
        #expect(
            error.description
                == "duplicate key value violates unique constraint \"jobs_unique_key_idx\" (SQLSTATE 23505)\nHINT: Use another key."
        )
        #expect(!error.description.contains("customer-4242-secret"))
        #expect(error.detail?.contains("customer-4242-secret") == true)
    }
}

extension PGErrorTests {
    /// A DETAIL that explains rather than quotes stays: without it, 22P05 says nothing useful.
    @Test func descriptionKeepsADetailThatExplains() {
        let error = PGError(
            .server, "unsupported Unicode escape sequence", sqlState: SQLState("22P05"),
            detail: "\\u0000 cannot be converted to text."
        )
        #expect(
            error.description
                == "unsupported Unicode escape sequence (SQLSTATE 22P05)\nDETAIL: \\u0000 cannot be converted to text.")
    }
}
