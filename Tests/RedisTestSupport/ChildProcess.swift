import Foundation
import Glibc
import Synchronization

/// A spawned child process whose exit can be awaited synchronously (with a deadline) or
/// asynchronously, without parking a thread of the concurrency pool.
///
/// Spawned with `posix_spawn`; a thread of its own waits for the child (`waitpid`), records the termination here and
/// wakes every waiter. Because the pid is reaped there, once ``hasExited`` is `true` the pid must not be signalled.
/// (Foundation's `Process` was used before; in Swift 6.3.1 its `run()` reads `/proc/self/fd` past the end of
/// glibc's buffer and crashed a test run with SIGSEGV: swift-corelibs-foundation pull request 5472.)
///
/// Every live child is also recorded in a process-wide set, and an `atexit` handler SIGKILLs
/// what is left when the test process exits normally (for example a fixture leaked by a
/// retain cycle). A test process that is itself SIGKILLed or crashes can still leave children behind.
public final class ChildProcess: Sendable {
    /// How a child ended.
    public struct Termination: Sendable, CustomStringConvertible {
        /// The exit status, or the signal number when ``signalled`` is `true`.
        public var status: Int32
        /// Whether the child was ended by a signal.
        public var signalled: Bool

        public var description: String { self.signalled ? "killed by signal \(self.status)" : "exit status \(self.status)" }
    }

    /// Records the termination and wakes waiters; shared with the thread that reaps the child.
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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let stdout = try Self.openForAppending(standardOutput ?? "/dev/null")
        defer { close(stdout) }
        let stderr = standardError == standardOutput ? stdout : try Self.openForAppending(standardError ?? "/dev/null")
        defer { if stderr != stdout { close(stderr) } }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Nothing else of this process reaches the child (Foundation's `Process` closed every descriptor too).
        _ = Self.addCloseFrom.map { $0(&actions, 3) }
        if let currentDirectory {
            guard let addChdir = Self.addChdir, addChdir(&actions, currentDirectory) == 0 else {
                throw RedisFixtureError(.launchFailed, "cannot start \(executable) in \(currentDirectory)")
            }
        }

        // The child starts with no signal blocked and every signal at its default action: libdispatch's worker
        // threads, which run Swift tasks, block nearly every signal, and a child inheriting that mask (a
        // `redis-server` spawned from a task) ignored SIGTERM. In a process group of its own, as Foundation's.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let variables = environment.map { ProcessInfo.processInfo.environment.merging($0) { $1 } } ?? ProcessInfo.processInfo.environment
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var spawned: pid_t = 0
        let status = posix_spawn(&spawned, executable, &actions, &attributes, argv, envp)
        let pid = spawned
        guard status == 0 else {
            throw RedisFixtureError(.launchFailed, "could not launch \(executable): \(String(cString: strerror(status)))")
        }

        // Recorded before the reaper starts, so that the reaper's removal always follows it.
        Self.live.withLock { _ = $0.insert(pid) }
        let tracker = Tracker()
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let signalled = status & 0x7f != 0
            tracker.record(Termination(status: signalled ? status & 0x7f : (status >> 8) & 0xff, signalled: signalled))
            _ = ChildProcess.live.withLock { $0.remove(pid) }
        }
        self.pid = pid
        self.tracker = tracker
    }

    /// glibc's `posix_spawn_file_actions_addchdir_np` and `posix_spawn_file_actions_addclosefrom_np`, which the Glibc
    /// module does not show (they need `_GNU_SOURCE`).
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addChdir = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }
    private static let addCloseFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }

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
        let deadline = ContinuousClock.now + timeout
        self.tracker.condition.lock()
        defer { self.tracker.condition.unlock() }
        while true {
            if let termination = self.termination {
                return termination
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            // The deadline is on the monotonic clock and each wait short, as `NSCondition` waits on the wall clock:
            // a clock set back (a new virtual machine's time corrected) cannot stretch the wait.
            let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
            _ = self.tracker.condition.wait(until: Date(timeIntervalSinceNow: min(0.1, seconds)))
        }
    }

    /// Suspends the calling task (not a thread) until the child has exited.
    ///
    /// Cancelling the task (a test that ran out of time, say) kills the child with SIGKILL, so the wait still ends.
    public func exit() async -> Termination {
        await withTaskCancellationHandler {
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
        } onCancel: {
            self.send(SIGKILL)
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

    /// A descriptor of `path` for appending, created when missing; closed on exec, as the child gets its copy by
    /// `dup2`.
    private static func openForAppending(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RedisFixtureError(.launchFailed, "could not open \(path) for writing: \(String(cString: strerror(errno)))")
        }
        return descriptor
    }
}
