#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mkdir -p` for the directories the service writes to: ticket PDFs, the fallback journal, the log file.
public enum Directories {
    /// Why a directory could not be made.
    public struct Failure: Error, Sendable {
        /// The directory that could not be made: the one asked for, or one of its parents.
        public let path: String
        /// The `errno` of the failed `mkdir(2)`, or `ENOTDIR` when a file stands at ``path``.
        public let errno: Int32

        /// "PATH is a file, not a directory", or the system's reason.
        public var reason: String {
            self.errno == ENOTDIR ? "\(self.path) is a file, not a directory" : String(cString: strerror(self.errno))
        }
    }

    /// Creates the directory `path` and any missing parents with mode 0755; a directory that exists is kept.
    /// - Throws: ``Failure`` naming the directory that could not be made, or the file in the way.
    public static func create(_ path: String) throws(Failure) {
        if mkdir(path, 0o755) == 0 { return }
        switch errno {
        case EEXIST:
            var status = stat()
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { throw Failure(path: path, errno: ENOTDIR) }
        case ENOENT, ENOTDIR:
            // A parent is missing, or is not a directory: making it says which.
            guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { throw Failure(path: path, errno: errno) }
            try self.create(String(path[..<slash]))
            guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw Failure(path: path, errno: errno) }
        default:
            throw Failure(path: path, errno: errno)
        }
    }
}
