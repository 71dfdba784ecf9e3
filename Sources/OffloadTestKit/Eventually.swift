/// Waits until `condition` holds, checking every 20 ms, for at most `timeout`. Returns whether it held.
///
/// Tests use it to wait for a database state that background work produces; it is a wait with a
/// generous ceiling, never a timing assertion. The default ceiling, 60 seconds as for `WorkerEvents`,
/// leaves room for a 2-core machine running a whole suite (load 20–30 seen): 20 s was not always enough
/// for a job to fail three times.
public func eventually(
    timeout: Duration = .seconds(60),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
