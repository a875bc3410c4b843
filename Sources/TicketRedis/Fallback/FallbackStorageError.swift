/// A failure to read or write the fallback's files (instance id, escrow mirror, journal).
public struct FallbackStorageError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, with the path and the system's reason.
    public let message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { self.message }
}
