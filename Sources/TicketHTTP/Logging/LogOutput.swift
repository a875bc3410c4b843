import Synchronization
import TicketCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where log lines go: standard output and, optionally, a file.
///
/// Lines are combined, not buffered: a thread that logs while no one is writing writes its line at once, with one
/// `write(2)` per destination; lines logged meanwhile by other threads are appended to a pending batch, which the
/// writing thread writes next, before it returns. So under load many lines share one system call, a line is never
/// held back for a timer, lines never interleave and keep their order. If a destination stops draining (a full
/// pipe), at most ``maxPending`` bytes wait; lines beyond that are dropped and counted, and a line saying how many
/// were lost is written once writing works again: logging never stalls sales or grows without bound.
public final class LogOutput: Sendable {
    private struct State {
        var pending: [UInt8] = []
        var writing = false
        var dropped = 0
    }

    /// The file descriptors written to.
    private let descriptors: [Int32]
    private let state = Mutex(State())
    /// The file lines are appended to, besides standard output, if any.
    public let filePath: String?
    /// The most bytes that wait while another thread writes.
    static let maxPending = 4 << 20

    /// Standard output only.
    public static let standardOutput = LogOutput(descriptors: [STDOUT_FILENO], filePath: nil)

    /// The terminal stream lines go to besides the file.
    public enum Console: Sendable {
        /// Standard output, where a server's logs belong.
        case standardOutput
        /// Standard error, so that a command's own output on standard output stays clean.
        case standardError

        var descriptor: Int32 { self == .standardOutput ? STDOUT_FILENO : STDERR_FILENO }
    }

    /// Writes to `descriptors`; `filePath` names the file among them, if any.
    init(descriptors: [Int32], filePath: String?) {
        self.descriptors = descriptors
        self.filePath = filePath
    }

    /// `console`, plus `filePath` when given (appended to; created with its parent directories).
    /// - Throws: ``LogFileError`` when the directory or the file cannot be created or opened.
    public convenience init(alsoTo filePath: String?, console: Console = .standardOutput) throws(LogFileError) {
        guard let filePath, !filePath.isEmpty else {
            self.init(descriptors: [console.descriptor], filePath: nil)
            return
        }
        try Self.createParentDirectories(of: filePath)
        let descriptor = open(filePath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LogFileError(path: filePath, errno: errno) }
        self.init(descriptors: [console.descriptor, descriptor], filePath: filePath)
    }

    /// Writes one line (the newline included by the caller) to every destination, or leaves it to the thread
    /// that is writing now.
    public func write(_ line: [UInt8]) {
        var batch: [UInt8]? = self.state.withLock { state in
            if state.writing {
                if state.pending.count + line.count > Self.maxPending {
                    state.dropped += 1
                } else {
                    state.pending.append(contentsOf: line)
                }
                return nil
            }
            state.writing = true
            return line
        }
        while let bytes = batch {
            for descriptor in self.descriptors {
                Self.writeAll(bytes, to: descriptor)
            }
            batch = self.state.withLock { state in
                if state.dropped > 0 {
                    state.pending.append(contentsOf: Self.droppedLine(state.dropped))
                    state.dropped = 0
                }
                guard !state.pending.isEmpty else {
                    state.writing = false
                    return nil
                }
                defer { state.pending.removeAll(keepingCapacity: true) }
                return state.pending
            }
        }
    }

    /// The line that reports lost lines, in the shape of the service's JSON lines.
    private static func droppedLine(_ count: Int) -> [UInt8] {
        let millis = Timestamp.nowMillis()
        return Array(
            #"{"ts":"\#(Timestamp.iso8601(millis: millis))","level":"warning","label":"ticketd.log","msg":"log lines dropped: output not draining","dropped":"\#(count)"}\#n"#
                .utf8
        )
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
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        do {
            try Directories.create(String(path[..<slash]))
        } catch {
            throw LogFileError(path: error.path, errno: error.errno)
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
