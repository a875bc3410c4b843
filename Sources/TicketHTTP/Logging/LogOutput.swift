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
///
/// A destination whose writes fail (a full disk, `/dev/full`, a closed pipe) loses its lines, and says so once on
/// every destination: a warning line naming it and the error when it starts failing, a notice when it writes
/// again.
public final class LogOutput: Sendable {
    private struct State {
        var pending: [UInt8] = []
        var writing = false
        var dropped = 0
        /// For each destination, the error of its last write, while its writes fail.
        var failures: [Int32?]
    }

    /// The file descriptors written to.
    private let descriptors: [Int32]
    private let state: Mutex<State>
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

    /// Opens `filePath` again and writes there from now on, in place of the file opened before: after logrotate
    /// (or anyone) renamed or removed it, lines go to a new file at the path, not on into the renamed one. Lines
    /// being written meanwhile end up whole in one file or the other. Does nothing without a file.
    /// - Throws: ``LogFileError`` when the file cannot be created or opened; lines then go on to the old one.
    public func reopenFile() throws(LogFileError) {
        guard let filePath, let current = self.descriptors.last, self.descriptors.count > 1 else { return }
        try Self.createParentDirectories(of: filePath)
        let reopened = open(filePath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard reopened >= 0 else { throw LogFileError(path: filePath, errno: errno) }
        defer { close(reopened) }
        // One atomic swap of what the descriptor number names: a concurrent write goes to one file or the other.
        guard dup2(reopened, current) >= 0 else { throw LogFileError(path: filePath, errno: errno) }
    }

    /// Writes to `descriptors`; `filePath` names the file among them, if any (the last).
    init(descriptors: [Int32], filePath: String?) {
        self.descriptors = descriptors
        self.filePath = filePath
        self.state = Mutex(State(failures: descriptors.map { _ in nil }))
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
            let errors = self.descriptors.map { Self.writeAll(bytes, to: $0) }
            batch = self.state.withLock { state in
                for (index, error) in errors.enumerated() where error != state.failures[index] {
                    // A new error or a recovery, not the same error again.
                    if let error, state.failures[index] == nil {
                        state.pending.append(contentsOf: self.failureLine(of: index, errno: error))
                    } else if error == nil {
                        state.pending.append(contentsOf: self.recoveryLine(of: index))
                    }
                    state.failures[index] = error
                }
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

    /// The line that reports lines dropped while the output did not drain.
    private static func droppedLine(_ count: Int) -> [UInt8] {
        Self.line(level: "warning", message: "log lines dropped: output not draining", dropped: count)
    }

    /// What the destination at `index` is called in a log line: the file's path, or the console stream.
    private func name(of index: Int) -> String {
        switch self.descriptors[index] {
        case STDOUT_FILENO: "standard output"
        case STDERR_FILENO: "standard error"
        default: "LOG_FILE \(self.filePath ?? "")"
        }
    }

    /// The line that says the destination at `index` fails with `errno` and loses its lines.
    private func failureLine(of index: Int, errno: Int32) -> [UInt8] {
        Self.line(level: "warning", message: "log lines lost: writing to \(self.name(of: index)) fails: \(String(cString: strerror(errno)))")
    }

    /// The line that says the destination at `index` writes again.
    private func recoveryLine(of index: Int) -> [UInt8] {
        Self.line(level: "notice", message: "log lines written to \(self.name(of: index)) again")
    }

    /// A line of the output's own, in the shape of the service's JSON lines, with the count of lines `dropped`.
    private static func line(level: String, message: String, dropped: Int? = nil) -> [UInt8] {
        var line = Array(#"{"ts":"\#(Timestamp.iso8601(millis: Timestamp.nowMillis()))","level":"\#(level)","label":"ticketd.log","msg":"#.utf8)
        JSONText.appendString(message, to: &line)
        if let dropped { line.append(contentsOf: #","dropped":"\#(dropped)""#.utf8) }
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    /// Writes all of `bytes`, or stops at the first error: a full disk or a closed pipe drops the rest rather than
    /// spin or crash.
    /// - Returns: The error, `nil` when every byte was written.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return written < 0 ? errno : EIO
                }
            }
            return nil
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
