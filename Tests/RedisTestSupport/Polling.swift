/// Polls `condition` until it returns `true`, or throws ``TimeoutError`` once `timeout` has passed.
///
/// This is how tests wait: never a fixed sleep, always a condition with a deadline. The condition
/// is evaluated at least once, then every `interval` until the deadline (measured on
/// `ContinuousClock`). It runs on the caller's isolation, so it may touch the caller's state.
///
/// An error thrown by `condition` ends the wait with that error; write `(try? await …) ?? false`
/// to treat failures as "not yet". Cancellation of the surrounding task ends the wait with
/// `CancellationError`.
///
/// ```swift
/// try await waitUntil(timeout: .seconds(5), "key to expire") {
///     try await redis.command("EXISTS", "k") == "0"
/// }
/// ```
///
/// - Parameters:
///   - timeout: How long to keep polling.
///   - interval: The pause between two evaluations; defaults to 10 ms.
///   - what: A description of what is awaited, used in the error message.
///   - condition: Returns `true` when the wait is over.
/// - Throws: ``TimeoutError`` when the deadline passes, or whatever `condition` throws.
public func waitUntil(
    timeout: Duration,
    interval: Duration = .milliseconds(10),
    _ what: String = "condition",
    isolation: isolated (any Actor)? = #isolation,
    fileID: String = #fileID,
    line: Int = #line,
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    var attempts = 0
    while true {
        attempts += 1
        if try await condition() {
            return
        }
        let now = clock.now
        if now >= deadline {
            throw TimeoutError(what: what, timeout: timeout, attempts: attempts, location: "\(fileID):\(line)")
        }
        try await Task.sleep(until: min(now.advanced(by: interval), deadline), clock: clock)
    }
}
