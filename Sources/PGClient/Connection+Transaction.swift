extension Connection {
    /// Runs `body` between `BEGIN` and `COMMIT`. A thrown error or a cancelled task rolls back instead;
    /// the rollback itself runs even when the task is cancelled.
    @discardableResult
    public func transaction<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Connection) async throws -> T
    ) async throws -> T {
        try await execute("BEGIN")
        let result: T
        do {
            result = try await body(self)
            try Task.checkCancellation()
        } catch {
            await rollbackQuietly()
            throw error
        }
        try await commit()
        return result
    }

    private func commit() throws {
        _ = try runUncancellable("COMMIT")
    }

    private func rollbackQuietly() {
        _ = try? runUncancellable("ROLLBACK")
    }
}
