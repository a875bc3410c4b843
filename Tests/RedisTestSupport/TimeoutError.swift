/// Thrown by ``waitUntil(timeout:interval:_:isolation:fileID:line:_:)`` when a condition
/// never became true before the deadline.
public struct TimeoutError: Error, CustomStringConvertible, Sendable {
    /// What was being waited for, as given by the caller.
    public var what: String
    /// How long the wait lasted before giving up.
    public var timeout: Duration
    /// How many times the condition was evaluated.
    public var attempts: Int
    /// Where the wait was started, as `file:line`.
    public var location: String

    /// Creates a timeout error.
    ///
    /// - Parameters:
    ///   - what: What was being waited for.
    ///   - timeout: How long the wait lasted.
    ///   - attempts: How many times the condition was evaluated.
    ///   - location: Where the wait was started.
    public init(what: String, timeout: Duration, attempts: Int, location: String) {
        self.what = what
        self.timeout = timeout
        self.attempts = attempts
        self.location = location
    }

    public var description: String {
        "timed out after \(self.timeout) waiting for \(self.what) (\(self.attempts) attempts, started at \(self.location))"
    }
}
