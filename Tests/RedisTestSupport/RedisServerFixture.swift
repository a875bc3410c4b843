import Foundation
import Glibc
import Synchronization

/// A private `redis-server` for one test: its own free port, its own temporary directory, no
/// persistence unless asked for, stopped (and its directory removed) by ``stop()`` or `deinit`.
///
/// The server is launched as
/// `redis-server --port P --bind 127.0.0.1 --save "" --appendonly no --daemonize no --dir DIR
/// --logfile DIR/redis.log --enable-debug-command local` followed by the extra arguments, which
/// therefore override the defaults (`--appendonly yes`, `--requirepass secret`,
/// `--maxclients 1`, …). Do not pass `--port`, `--dir` or `--logfile` as extras; use `port:`.
///
/// ``start(arguments:port:executable:timeout:)`` returns once the server answers a raw RESP `PING`
/// (any reply except `-LOADING` counts, so `-NOAUTH` does too).
///
/// ```swift
/// @Test func setThenGet() async throws {
///     let redis = try await RedisServerFixture.start()
///     defer { redis.stop() }
///     _ = try await redis.command("SET", "a", "1")
///     #expect(try await redis.command("GET", "a") == "1")
/// }
/// ```
///
/// A final class rather than an actor: ``stop()``, ``kill()``, ``suspend()`` and ``resume()``
/// must be callable synchronously (from `defer` and from `deinit`), and ``port``, ``url`` and
/// ``pid`` must be readable without `await`. The little mutable state (the current child
/// process and whether the fixture was stopped) sits behind a `Mutex`, which makes the class
/// `Sendable` and safe to share between tasks.
///
/// Waiting for a process exit never parks a concurrency-pool thread for long: asynchronous
/// waits use `Process.terminationHandler` and a continuation. The synchronous ``stop()`` and
/// ``kill()`` block their thread until the server is gone, which takes a few milliseconds.
///
/// Foundation's `Process` cannot set `PR_SET_PDEATHSIG`, so the server is not tied to the test
/// process by the kernel. Instead `deinit` stops a server that is still running, and an
/// `atexit` handler SIGKILLs any server left when the test process exits. Only a test process
/// that is itself SIGKILLed or crashes can leave a server behind.
public final class RedisServerFixture: Sendable {
    private struct State {
        var child: ChildProcess
        var stopped = false
    }

    /// The port the server listens on; stays the same across ``restart()``.
    public let port: Int
    /// The temporary directory holding the log and any RDB/AOF files; removed by ``stop()``.
    public let directory: String
    /// The password given with `--requirepass`, passed to `redis-cli` by ``command(_:)-([String])``.
    public let password: String?
    /// The absolute path of the `redis-server` executable in use.
    public let executable: String
    /// The extra arguments the fixture was started with.
    public let extraArguments: [String]
    /// How long ``start(arguments:port:executable:timeout:)`` and ``restart()`` wait for an answer.
    public let startTimeout: Duration
    private let state: Mutex<State>

    /// How long ``stop()`` waits after SIGTERM before it sends SIGKILL.
    public static let stopGracePeriod: Duration = .seconds(5)

    /// The address the server binds to: always `127.0.0.1`.
    public var host: String { "127.0.0.1" }

    /// The server's URL, `redis://127.0.0.1:PORT`.
    public var url: String { "redis://\(self.host):\(self.port)" }

    /// The pid of the current (or, after ``kill()``, the last) server process.
    public var pid: Int32 { self.state.withLock { $0.child.pid } }

    /// Whether the current server process is still alive (a suspended server counts as alive).
    public var isRunning: Bool { self.state.withLock { !$0.child.hasExited } }

    /// The path of the server's log file.
    public var logFile: String { Self.logFile(in: self.directory) }

    private init(
        port: Int,
        directory: String,
        password: String?,
        executable: String,
        extraArguments: [String],
        startTimeout: Duration,
        child: ChildProcess
    ) {
        self.port = port
        self.directory = directory
        self.password = password
        self.executable = executable
        self.extraArguments = extraArguments
        self.startTimeout = startTimeout
        self.state = Mutex(State(child: child))
    }

    deinit {
        self.stop()
    }

    // MARK: Lifecycle

    /// Launches a private `redis-server` and waits until it answers.
    ///
    /// - Parameters:
    ///   - extra: Arguments appended after the defaults, so they override them
    ///     (for example `["--appendonly", "yes"]` or `["--requirepass", "secret"]`).
    ///   - port: A fixed port, or `nil` (the default) for a free one from ``FreePort``. With a free
    ///     port, a port stolen by another process is detected and a new one is tried.
    ///   - executable: The `redis-server` to run: a path, or a name looked up on `PATH`.
    ///     Defaults to `redis-server`.
    ///   - timeout: How long to wait for the server to answer `PING`; defaults to 10 seconds.
    /// - Returns: The running fixture. Call ``stop()`` when done.
    /// - Throws: ``RedisFixtureError``: `.executableNotFound` (run `make deps`), `.portInUse`,
    ///   `.exitedDuringStartup` or `.startTimeout`, with the tail of the server log.
    public static func start(
        arguments extra: [String] = [],
        port: Int? = nil,
        executable: String? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> RedisServerFixture {
        let executable = try Self.locate(executable ?? "redis-server")
        let directory = try Self.makeDirectory()
        let password = Self.password(in: extra)
        do {
            for attempt in 1...5 {
                let chosenPort: Int
                if let port {
                    guard FreePort.claim(port) else {
                        throw RedisFixtureError(.portInUse, "port \(port) is already used by another fixture in this process")
                    }
                    chosenPort = port
                } else {
                    chosenPort = try FreePort.reserve()
                }
                do {
                    let child = try await Self.launch(
                        executable: executable,
                        port: chosenPort,
                        directory: directory,
                        extra: extra,
                        timeout: timeout
                    )
                    return RedisServerFixture(
                        port: chosenPort,
                        directory: directory,
                        password: password,
                        executable: executable,
                        extraArguments: extra,
                        startTimeout: timeout,
                        child: child
                    )
                } catch let error as RedisFixtureError where error.code == .portInUse && port == nil && attempt < 5 {
                    FreePort.release(chosenPort)
                    continue
                } catch {
                    FreePort.release(chosenPort)
                    throw error
                }
            }
            preconditionFailure("unreachable: the last attempt returns or throws")
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Stops the server: SIGTERM (plus SIGCONT, in case it is suspended), then SIGKILL if it has
    /// not exited after ``stopGracePeriod``; waits for the exit, releases the port and removes
    /// ``directory``.
    ///
    /// Idempotent, and final: a stopped fixture cannot be restarted. Blocks the calling thread
    /// until the process is gone (milliseconds for a healthy server).
    public func stop() {
        let (child, alreadyStopped) = self.state.withLock { state in
            defer { state.stopped = true }
            return (state.child, state.stopped)
        }
        guard !alreadyStopped else { return }
        child.terminate(gracePeriod: Self.stopGracePeriod)
        FreePort.release(self.port)
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// Kills the server with SIGKILL and blocks until the process has exited and been reaped.
    ///
    /// The port stays reserved and ``directory`` stays in place, so ``restart()`` can bring the
    /// server back with its AOF/RDB files. Does nothing if the server is not running.
    public func kill() {
        let child = self.state.withLock { $0.child }
        child.killAndWait()
    }

    /// Freezes the server with SIGSTOP: connections are accepted by the kernel, but nothing is
    /// answered until ``resume()``. Returns once the process is in the stopped state.
    public func suspend() {
        let child = self.state.withLock { $0.child }
        child.send(SIGSTOP)
        Self.spin(until: .seconds(2)) { child.hasExited || child.schedulerState.map { $0 == "T" } ?? true }
    }

    /// Thaws a server frozen by ``suspend()`` with SIGCONT. Returns once the process runs again.
    public func resume() {
        let child = self.state.withLock { $0.child }
        child.send(SIGCONT)
        Self.spin(until: .seconds(2)) { child.hasExited || child.schedulerState.map { $0 != "T" } ?? true }
    }

    /// Starts the server again on the same port with the same directory and arguments, for
    /// example after ``kill()``, so that AOF/RDB files in ``directory`` are loaded again.
    ///
    /// A server that is still running is stopped gracefully first. Returns once the new process
    /// answers `PING` (a server still loading its data set, `-LOADING`, does not count).
    ///
    /// - Throws: ``RedisFixtureError``: `.fixtureStopped` after ``stop()``, `.portInUse` if the
    ///   port was taken meanwhile, `.exitedDuringStartup` or `.startTimeout`.
    public func restart() async throws {
        let (previous, stopped) = self.state.withLock { ($0.child, $0.stopped) }
        guard !stopped else {
            throw RedisFixtureError(.fixtureStopped, "cannot restart the redis-server fixture on port \(self.port): it was stopped")
        }
        if !previous.hasExited {
            // Usually already dead (after kill()); otherwise a graceful shutdown takes milliseconds.
            previous.terminate(gracePeriod: Self.stopGracePeriod)
        }
        let child = try await Self.launch(
            executable: self.executable,
            port: self.port,
            directory: self.directory,
            extra: self.extraArguments,
            timeout: self.startTimeout
        )
        let stoppedMeanwhile = self.state.withLock { state in
            if !state.stopped { state.child = child }
            return state.stopped
        }
        if stoppedMeanwhile {
            child.killAndWait()
            throw RedisFixtureError(.fixtureStopped, "the redis-server fixture on port \(self.port) was stopped during restart()")
        }
    }

    /// Sends a raw RESP `PING` over a fresh TCP connection.
    ///
    /// - Parameter timeout: How long to wait for the connection and the reply.
    /// - Returns: `true` if any RESP reply arrived in time (`+PONG`, but also `-NOAUTH` or
    ///   `-LOADING`), `false` if the connection was refused or nothing came back.
    public func ping(timeout: Duration = .seconds(1)) async -> Bool {
        await Self.rawPing(port: self.port, timeout: timeout) != nil
    }

    /// The last lines of the server's log (and of its stdout/stderr), for error messages.
    ///
    /// - Parameter lines: How many lines of each file to return at most.
    public func logTail(lines: Int = 40) -> String {
        Self.logTail(directory: self.directory, lines: lines)
    }

    // MARK: Commands

    /// Runs one command through `redis-cli -h 127.0.0.1 -p PORT`, arguments passed as argv (no shell).
    ///
    /// - Parameter arguments: The command and its arguments, for example `"SET", "a", "1"`.
    /// - Returns: `redis-cli`'s output without leading/trailing newlines. Output is in
    ///   `redis-cli`'s raw format: strings unquoted, one array element per line, an error reply
    ///   as its text (`ERR …`, `NOSCRIPT …`), since `redis-cli` exits 0 on error replies.
    /// - Throws: ``RedisFixtureError`` `.commandFailed` when `redis-cli` exits non-zero (the server
    ///   cannot be reached, for example), `.executableNotFound` when `redis-cli` is missing.
    public func command(_ arguments: String...) async throws -> String {
        try await self.command(arguments)
    }

    /// Runs one command through `redis-cli`; see ``command(_:)-(String...)``.
    ///
    /// With `--requirepass` among the start arguments, the password is passed to `redis-cli`
    /// in the `REDISCLI_AUTH` environment variable (not on the command line).
    ///
    /// - Parameter arguments: The command and its arguments.
    /// - Returns: `redis-cli`'s output without leading/trailing newlines.
    /// - Throws: ``RedisFixtureError`` `.commandFailed` or `.executableNotFound`.
    public func command(_ arguments: [String]) async throws -> String {
        let cli = try self.locateCLI()
        let scratch = FileManager.default.temporaryDirectory.path
        let name = "redis-cli-\(self.port)-\(UUID().uuidString)"
        let outputPath = "\(scratch)/\(name).out"
        let errorPath = "\(scratch)/\(name).err"
        defer {
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        // Output goes to files rather than pipes: no reader thread, no full-pipe deadlock.
        let child = try ChildProcess(
            executable: cli,
            arguments: ["-h", self.host, "-p", String(self.port)] + arguments,
            environment: self.password.map { ["REDISCLI_AUTH": $0] },
            standardOutput: outputPath,
            standardError: errorPath
        )
        let termination = await child.exit()
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard !termination.signalled, termination.status == 0 else {
            let errorOutput = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            throw RedisFixtureError(
                .commandFailed,
                "redis-cli \(arguments.joined(separator: " ")) on port \(self.port): \(termination): "
                    + "\(errorOutput.trimmingCharacters(in: .whitespacesAndNewlines)) \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
        return output.trimmingCharacters(in: .newlines)
    }

    /// Runs `INFO section` and parses its `key:value` lines (comments and blank lines skipped).
    ///
    /// - Parameter section: An `INFO` section such as `server`, `memory`, `persistence`, `stats`.
    /// - Returns: The fields, for example `["aof_enabled": "1", …]`.
    /// - Throws: What ``command(_:)-([String])`` throws.
    public func info(_ section: String) async throws -> [String: String] {
        let output = try await self.command(["INFO", section])
        var fields: [String: String] = [:]
        for line in output.split(whereSeparator: \.isNewline) {
            let line = line.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// Parses `INFO commandstats`: `cmdstat_eval:calls=1,usec=5,…` becomes
    /// `["eval": ["calls": "1", "usec": "5", …]]`. Subcommands keep their `|`, as in `client|setname`.
    ///
    /// - Throws: What ``command(_:)-([String])`` throws.
    public func commandStats() async throws -> [String: [String: String]] {
        var stats: [String: [String: String]] = [:]
        for (key, value) in try await self.info("commandstats") where key.hasPrefix("cmdstat_") {
            var fields: [String: String] = [:]
            for pair in value.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            stats[String(key.dropFirst("cmdstat_".count))] = fields
        }
        return stats
    }

    /// Parses `INFO errorstats`: `errorstat_NOSCRIPT:count=1` becomes `["NOSCRIPT": 1]`.
    ///
    /// - Throws: What ``command(_:)-([String])`` throws.
    public func errorStats() async throws -> [String: Int] {
        var stats: [String: Int] = [:]
        for (key, value) in try await self.info("errorstats") where key.hasPrefix("errorstat_") {
            guard value.hasPrefix("count="), let count = Int(value.dropFirst("count=".count)) else { continue }
            stats[String(key.dropFirst("errorstat_".count))] = count
        }
        return stats
    }

    // MARK: Launching

    /// Launches one server process and waits until it answers, or fails with the log tail.
    private static func launch(
        executable: String,
        port: Int,
        directory: String,
        extra: [String],
        timeout: Duration
    ) async throws -> ChildProcess {
        let logFile = Self.logFile(in: directory)
        let outputFile = Self.outputFile(in: directory)
        // Fresh log for this launch, so a failure shows this launch's messages only.
        try? FileManager.default.removeItem(atPath: logFile)
        try? FileManager.default.removeItem(atPath: outputFile)
        let arguments =
            [
                "--port", String(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--dir", directory,
                "--logfile", logFile,
                "--enable-debug-command", "local",
            ] + extra
        let child = try ChildProcess(
            executable: executable,
            arguments: arguments,
            standardOutput: outputFile,
            standardError: outputFile
        )

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let termination = child.termination {
                let tail = Self.logTail(directory: directory, lines: 40)
                if tail.contains("Address already in use") {
                    throw RedisFixtureError(.portInUse, "redis-server could not bind 127.0.0.1:\(port) (\(termination)):\n\(tail)")
                }
                throw RedisFixtureError(
                    .exitedDuringStartup,
                    "redis-server on port \(port) exited during startup (\(termination)); arguments: \(arguments)\n\(tail)"
                )
            }
            if let reply = await Self.rawPing(port: port, timeout: .milliseconds(250)), !reply.hasPrefix("-LOADING") {
                // Our process must still be alive: otherwise the answer came from someone else.
                if child.hasExited { continue }
                if let owner = await Self.serverProcessID(port: port), owner != child.pid {
                    child.killAndWait()
                    throw RedisFixtureError(.portInUse, "port \(port) is served by another redis-server (pid \(owner))")
                }
                return child
            }
            if clock.now >= deadline {
                child.killAndWait()
                throw RedisFixtureError(
                    .startTimeout,
                    "redis-server on port \(port) did not answer PING within \(timeout); killed it. "
                        + "Arguments: \(arguments)\n\(Self.logTail(directory: directory, lines: 40))"
                )
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Sends a raw `PING` and returns the reply line, or `nil` if none arrived within `timeout`.
    private static func rawPing(port: Int, timeout: Duration) async -> String? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        guard let probe = await RawRESPProbe(host: "127.0.0.1", port: port, deadline: deadline),
            let reply = await probe.exchange("*1\r\n$4\r\nPING\r\n", deadline: deadline)
        else { return nil }
        return String(decoding: reply, as: UTF8.self)
    }

    /// The `process_id` from `INFO server` on `port`, or `nil` when it cannot be read (a password
    /// is required, for example). Used to detect a port answered by a server that is not ours.
    private static func serverProcessID(port: Int) async -> Int32? {
        let deadline = ContinuousClock.now.advanced(by: .seconds(1))
        guard let probe = await RawRESPProbe(host: "127.0.0.1", port: port, deadline: deadline),
            let reply = await probe.exchange("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n", deadline: deadline)
        else { return nil }
        let text = String(decoding: reply, as: UTF8.self)
        guard let range = text.range(of: "\r\nprocess_id:") else { return nil }
        return Int32(text[range.upperBound...].prefix { $0.isNumber })
    }

    // MARK: Helpers

    private static func logFile(in directory: String) -> String { "\(directory)/redis.log" }
    private static func outputFile(in directory: String) -> String { "\(directory)/redis.stdout" }

    private static func logTail(directory: String, lines: Int) -> String {
        [Self.logFile(in: directory), Self.outputFile(in: directory)].compactMap { path in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return nil }
            let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1).joined(separator: "\n")
            return "--- \(path) ---\n\(tail)"
        }.joined(separator: "\n")
    }

    /// The value of the last `--requirepass` in `arguments`, if any.
    private static func password(in arguments: [String]) -> String? {
        guard let index = arguments.lastIndex(where: { $0.lowercased() == "--requirepass" }), index + 1 < arguments.count else {
            return nil
        }
        let password = arguments[index + 1]
        return password.isEmpty ? nil : password
    }

    private static func makeDirectory() throws -> String {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/redis-fixture.XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else {
            throw RedisFixtureError(.launchFailed, "mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        return String(cString: path)
    }

    /// Resolves `name` to an executable path: used as is when it contains a `/`, otherwise
    /// looked up in the directories of `PATH`.
    private static func locate(_ name: String) throws -> String {
        if name.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else {
                throw RedisFixtureError(.executableNotFound, "\(name) does not exist or is not executable; run `make deps` to install Redis")
            }
            return name
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        throw RedisFixtureError(.executableNotFound, "\(name) not found on PATH (\(path)); run `make deps` to install Redis")
    }

    /// `redis-cli` next to the server executable if there is one, otherwise from `PATH`.
    private func locateCLI() throws -> String {
        let sibling = URL(fileURLWithPath: self.executable).deletingLastPathComponent().appendingPathComponent("redis-cli").path
        if FileManager.default.isExecutableFile(atPath: sibling) {
            return sibling
        }
        return try Self.locate("redis-cli")
    }

    /// Spins (1 ms naps) until `condition` holds or `timeout` passes; only for the few
    /// milliseconds a signal takes to be delivered.
    private static func spin(until timeout: Duration, _ condition: () -> Bool) {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !condition() && ContinuousClock.now < deadline {
            usleep(1000)
        }
    }
}
