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

    /// "cannot open PATH: the system's reason", or "PATH is a file, not a directory" for a directory on the way
    /// that is a file.
    public var description: String {
        self.errno == ENOTDIR ? "\(self.path) is a file, not a directory" : "cannot open \(self.path): \(String(cString: strerror(self.errno)))"
    }
}
