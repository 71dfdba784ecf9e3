/// Waits until `condition` holds, checking every 20 ms, for at most `timeout`. Returns whether it held.
///
/// Tests use it to wait for a database state that background work produces; it is a wait with a
/// generous ceiling, never a timing assertion.
public func eventually(
    timeout: Duration = .seconds(20),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
