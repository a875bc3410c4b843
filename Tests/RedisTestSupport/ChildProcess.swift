import Foundation
import Glibc
import Synchronization

/// A spawned child process whose exit can be awaited synchronously (with a deadline) or
/// asynchronously, without parking a thread of the concurrency pool.
///
/// Foundation's `Process` reaps the child and calls `terminationHandler` on one of its own
/// threads; that handler records the termination here and wakes every waiter. Because the pid
/// is only reaped by Foundation, once ``hasExited`` is `true` the pid must not be signalled.
///
/// Every live child is also recorded in a process-wide set, and an `atexit` handler SIGKILLs
/// what is left when the test process exits normally (for example a fixture leaked by a
/// retain cycle). Foundation's `Process` offers no `PR_SET_PDEATHSIG`, so a test process that
/// is itself SIGKILLed or crashes can still leave children behind.
public final class ChildProcess: Sendable {
    /// How a child ended.
    public struct Termination: Sendable, CustomStringConvertible {
        /// The exit status, or the signal number when ``signalled`` is `true`.
        public var status: Int32
        /// Whether the child was ended by a signal.
        public var signalled: Bool

        public var description: String { self.signalled ? "killed by signal \(self.status)" : "exit status \(self.status)" }
    }

    /// Records the termination and wakes waiters; shared with Foundation's termination handler.
    private final class Tracker: Sendable {
        struct State {
            var termination: Termination?
            var waiters: [CheckedContinuation<Termination, Never>] = []
        }

        let condition = NSCondition()
        let state = Mutex(State())

        func record(_ termination: Termination) {
            self.condition.lock()
            let waiters = self.state.withLock { state in
                state.termination = termination
                defer { state.waiters = [] }
                return state.waiters
            }
            self.condition.broadcast()
            self.condition.unlock()
            for waiter in waiters {
                waiter.resume(returning: termination)
            }
        }
    }

    /// The child's pid.
    public let pid: Int32
    private let process: Process
    private let tracker: Tracker

    /// Pids of children not yet reaped, for the `atexit` clean-up.
    private static let live = Mutex<Set<Int32>>([])
    private static let installAtExit: Void = {
        atexit {
            let pids = ChildProcess.live.withLock { $0 }
            for pid in pids {
                Glibc.kill(pid, SIGCONT)
                Glibc.kill(pid, SIGKILL)
            }
        }
    }()

    /// Spawns `executable` with `arguments` (passed as argv, no shell), stdin from `/dev/null`
    /// and stdout/stderr appended to the given files (or discarded when `nil`), in `currentDirectory` (this
    /// process's when `nil`).
    ///
    /// - Throws: ``RedisFixtureError`` with code `.launchFailed`.
    public init(
        executable: String,
        arguments: [String],
        environment: [String: String]? = nil,
        currentDirectory: String? = nil,
        standardOutput: String?,
        standardError: String?
    ) throws {
        _ = Self.installAtExit
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = FileHandle.nullDevice
        let stdout = try standardOutput.map(Self.openForAppending)
        defer { try? stdout?.close() }
        let stderr = standardError == standardOutput ? stdout : try standardError.map(Self.openForAppending)
        defer { if stderr !== stdout { try? stderr?.close() } }
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice

        let tracker = Tracker()
        process.terminationHandler = { process in
            tracker.record(
                Termination(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal)
            )
            // After the termination is recorded, so `init` either sees it or has inserted the pid already.
            _ = ChildProcess.live.withLock { $0.remove(process.processIdentifier) }
        }
        do {
            try Self.withTerminationSignalsUnblocked { try process.run() }
        } catch {
            throw RedisFixtureError(.launchFailed, "could not launch \(executable): \(error)")
        }
        let pid = process.processIdentifier
        Self.live.withLock { live in
            // The termination handler may already have run for a child that exited at once.
            if tracker.state.withLock({ $0.termination == nil }) { live.insert(pid) }
        }
        self.pid = pid
        self.process = process
        self.tracker = tracker
    }

    /// The termination, once the child has exited and been reaped.
    public var termination: Termination? { self.tracker.state.withLock { $0.termination } }

    /// Whether the child has exited and been reaped.
    public var hasExited: Bool { self.termination != nil }

    /// Sends `signal` unless the child has already been reaped.
    public func send(_ signal: Int32) {
        if !self.hasExited {
            Glibc.kill(self.pid, signal)
        }
    }

    /// Blocks the calling thread until the child has exited or `timeout` passed.
    ///
    /// - Returns: The termination, or `nil` on timeout.
    public func waitForExit(timeout: Duration) -> Termination? {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let deadline = Date(timeIntervalSinceNow: seconds)
        self.tracker.condition.lock()
        defer { self.tracker.condition.unlock() }
        while true {
            if let termination = self.termination {
                return termination
            }
            if !self.tracker.condition.wait(until: deadline) {
                return self.termination
            }
        }
    }

    /// Suspends the calling task (not a thread) until the child has exited.
    public func exit() async -> Termination {
        await withCheckedContinuation { continuation in
            let done: Termination? = self.tracker.state.withLock { state in
                if let termination = state.termination {
                    return termination
                }
                state.waiters.append(continuation)
                return nil
            }
            if let done {
                continuation.resume(returning: done)
            }
        }
    }

    /// Sends SIGTERM (and SIGCONT, in case the child is stopped), waits up to `gracePeriod`,
    /// then SIGKILLs and waits again.
    ///
    /// - Returns: The termination, or `nil` if even SIGKILL did not end the child in time.
    @discardableResult
    public func terminate(gracePeriod: Duration) -> Termination? {
        self.send(SIGTERM)
        self.send(SIGCONT)
        if let termination = self.waitForExit(timeout: gracePeriod) {
            return termination
        }
        return self.killAndWait()
    }

    /// Sends SIGKILL and blocks until the child has been reaped (at most 10 s).
    @discardableResult
    public func killAndWait() -> Termination? {
        self.send(SIGKILL)
        return self.waitForExit(timeout: .seconds(10))
    }

    /// The scheduler state letter from `/proc/PID/stat` (`R`, `S`, `T`, …), or `nil` when unknown.
    var schedulerState: Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(self.pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[close...].dropFirst().first { $0 != " " }
    }

    /// Runs `body` (which spawns a child) with the usual termination signals unblocked on the
    /// calling thread.
    ///
    /// A spawned child inherits the signal mask of the thread that spawns it, and libdispatch
    /// worker threads (which run Swift concurrency tasks) block nearly every signal. Foundation's
    /// `Process` does not reset the mask, so a `redis-server` spawned from a task would ignore
    /// SIGTERM and only die by SIGKILL. Only termination-type signals are unblocked here, and
    /// only for the duration of the spawn; SIGCHLD and the rest stay as they were.
    private static func withTerminationSignalsUnblocked<T>(_ body: () throws -> T) rethrows -> T {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2] {
            sigaddset(&unblock, signal)
        }
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return try body()
    }

    private static func openForAppending(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw RedisFixtureError(.launchFailed, "could not create \(path)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw RedisFixtureError(.launchFailed, "could not open \(path) for writing")
        }
        handle.seekToEndOfFile()
        return handle
    }
}
