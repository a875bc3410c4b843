#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A log file (or its directory) that could not be created or opened.
public struct LogFileError: Error, Sendable, CustomStringConvertible {
    /// The path that failed.
    public let path: String
    /// The system error number.
    public let errno: Int32

    public var description: String { "cannot open log file \(self.path): \(String(cString: strerror(self.errno)))" }
}
