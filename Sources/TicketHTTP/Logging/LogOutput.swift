import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where log lines go: standard output and, optionally, a file; one `write(2)` per line per destination.
///
/// Writes are serialised by a lock, so lines never interleave, and go straight to the file descriptor (no
/// buffering to lose on a crash). A line is a few hundred bytes, so a write costs microseconds, even on an event
/// loop; a reader that stops draining stdout would block the writer, as it would any logger that does not drop lines.
public final class LogOutput: Sendable {
    /// The file descriptors written to; the lock serialises whole lines.
    private let descriptors: Mutex<[Int32]>
    /// The file lines are appended to, besides standard output, if any.
    public let filePath: String?

    /// Standard output only.
    public static let standardOutput = LogOutput(descriptors: [STDOUT_FILENO], filePath: nil)

    private init(descriptors: [Int32], filePath: String?) {
        self.descriptors = Mutex(descriptors)
        self.filePath = filePath
    }

    /// Standard output, plus `filePath` when given (appended to; created with its parent directories).
    /// - Throws: ``LogFileError`` when the directory or the file cannot be created or opened.
    public convenience init(alsoTo filePath: String?) throws(LogFileError) {
        guard let filePath, !filePath.isEmpty else {
            self.init(descriptors: [STDOUT_FILENO], filePath: nil)
            return
        }
        try Self.createParentDirectories(of: filePath)
        let descriptor = open(filePath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LogFileError(path: filePath, errno: errno) }
        self.init(descriptors: [STDOUT_FILENO, descriptor], filePath: filePath)
    }

    /// Writes one line (the newline included by the caller) to every destination.
    public func write(_ line: [UInt8]) {
        self.descriptors.withLock { descriptors in
            for descriptor in descriptors {
                Self.writeAll(line, to: descriptor)
            }
        }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // a full disk or a closed pipe: drop the line rather than spin or crash
                }
            }
        }
    }

    private static func createParentDirectories(of path: String) throws(LogFileError) {
        var components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        guard !components.isEmpty else { return }
        var current = path.hasPrefix("/") ? "" : "."
        if path.hasPrefix("/") { components = components.dropFirst() }
        for component in components where !component.isEmpty {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw LogFileError(path: current, errno: errno)
            }
        }
    }
}

/// `write(2)`, named apart from ``LogOutput/write(_:)``.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, bytes, count)
    #else
    Darwin.write(descriptor, bytes, count)
    #endif
}
