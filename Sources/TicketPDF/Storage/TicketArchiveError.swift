#if canImport(Glibc)
import Glibc
#endif

/// A file operation on the ticket archive failed.
public struct TicketArchiveError: Error, Sendable, CustomStringConvertible {
    /// What was attempted: `open`, `read`, `create`, `write`, `rename`, `mkdir`, `list`, `delete`.
    public let operation: String
    /// The file or directory.
    public let path: String
    /// The system's error number.
    public let errno: Int32

    /// Creates an error.
    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String { "\(self.operation) \(self.path): \(String(cString: strerror(self.errno)))" }
}
