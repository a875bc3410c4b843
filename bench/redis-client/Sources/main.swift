// RedisClientBench: drives `RedisClient.evalScript` from many concurrent callers against one Redis and prints
// calls/s and the process CPU time per call. It is a benchmark, not a test: `bench/redis-client/run.sh`
// compares its figures with `redis-benchmark` on the same server.
//
//   RedisClientBench --url redis://127.0.0.1:6379 --script trivial|purchase
//                    [--calls 300000] [--concurrency 500] [--connections 2] [--warmup 2000]
//                    [--event-loops N] [--nio-executor]
//
// The last line it prints starts with `RESULT` and holds `key=value` pairs, for scripts to read.

import Glibc
import Logging
import NIOCore
import NIOPosix
import RESPClient
import ServiceLifecycle

// MARK: Options

struct BenchOptions {
    var url = "redis://127.0.0.1:6379"
    var calls = 300_000
    var concurrency = 500
    var connections = 2
    var script = "trivial"
    var warmup = 2_000
    /// Threads of the client's own event-loop group; `nil` uses `MultiThreadedEventLoopGroup.singleton`.
    var eventLoops: Int?
    /// Runs Swift concurrency's global executor on NIO's event loops (no thread hop between caller and connection).
    var nioExecutor = false
    /// Resets the server's statistics (`CONFIG RESETSTAT`) before the measured run and reports its CPU time and
    /// `EVALSHA`'s `usec_per_call` afterwards. Only for a private server.
    var serverStats = false

    static let usage = """
        usage: RedisClientBench [--url redis://host:port] [--script trivial|purchase] [--calls N] [--concurrency C]
                                [--connections K] [--warmup N] [--event-loops N] [--nio-executor] [--server-stats]
        """

    static func parse(_ arguments: [String]) -> BenchOptions {
        var options = BenchOptions()
        var index = 0
        func value(_ flag: String) -> String {
            index += 1
            guard index < arguments.count else { fail("\(flag) needs a value") }
            return arguments[index]
        }
        func integer(_ flag: String, minimum: Int) -> Int {
            let text = value(flag)
            guard let number = Int(text.filter { $0 != "_" }), number >= minimum else {
                fail("\(flag) wants an integer >= \(minimum), not \(text)")
            }
            return number
        }
        while index < arguments.count {
            let flag = arguments[index]
            switch flag {
            case "--url": options.url = value(flag)
            case "--calls": options.calls = integer(flag, minimum: 1)
            case "--concurrency": options.concurrency = integer(flag, minimum: 1)
            case "--connections": options.connections = integer(flag, minimum: 1)
            case "--warmup": options.warmup = integer(flag, minimum: 0)
            case "--event-loops": options.eventLoops = integer(flag, minimum: 1)
            case "--nio-executor": options.nioExecutor = true
            case "--server-stats": options.serverStats = true
            case "--script":
                options.script = value(flag)
                guard BenchScript.named(options.script) != nil else { fail("--script is trivial or purchase, not \(options.script)") }
            case "-h", "--help":
                print(usage)
                exit(0)
            default:
                fail("unknown argument \(flag)")
            }
            index += 1
        }
        return options
    }

    static func fail(_ message: String) -> Never {
        var stderr = StandardError()
        print("RedisClientBench: \(message)\n\(usage)", to: &stderr)
        exit(2)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var text = string
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}

// MARK: Scripts

/// The two scripts of the benchmark, with the keys and the per-call argument they take.
struct BenchScript: Sendable {
    /// `return 1`: Redis does almost nothing, so the client's own cost dominates.
    static let trivialSource = "return 1"

    /// A purchase: pop a ticket from the pool, record who bought it, return it (0 when sold out).
    static let purchaseSource = """
        local ticket = redis.call('LPOP', KEYS[1])
        if not ticket then return 0 end
        redis.call('HSET', KEYS[2], ticket, ARGV[1])
        return ticket
        """

    static let poolKey = "event:{bench}:tickets"
    static let soldKey = "event:{bench}:sold"
    /// Purchase ids are 12 digits, like the `__rand_int__` that `redis-benchmark -r` substitutes.
    static let purchaseIDBase = 100_000_000_000

    let name: String
    let script: RedisScript
    let keys: [RESPArgument]
    let takesPurchaseID: Bool

    static func named(_ name: String) -> BenchScript? {
        switch name {
        case "trivial":
            return BenchScript(name: name, script: RedisScript(trivialSource), keys: [], takesPurchaseID: false)
        case "purchase":
            return BenchScript(
                name: name,
                script: RedisScript(purchaseSource),
                keys: [.string(poolKey), .string(soldKey)],
                takesPurchaseID: true
            )
        default:
            return nil
        }
    }
}

// MARK: Measuring

/// User plus system CPU time of the whole process (every thread), in microseconds.
func processCPUMicroseconds() -> (user: Int, system: Int, voluntarySwitches: Int, involuntarySwitches: Int) {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return (
        user: Int(usage.ru_utime.tv_sec) * 1_000_000 + Int(usage.ru_utime.tv_usec),
        system: Int(usage.ru_stime.tv_sec) * 1_000_000 + Int(usage.ru_stime.tv_usec),
        voluntarySwitches: Int(usage.ru_nvcsw),
        involuntarySwitches: Int(usage.ru_nivcsw)
    )
}

struct WorkerTally: Sendable {
    var errors = 0
    var soldOut = 0
    var firstError: String?

    mutating func add(_ other: WorkerTally) {
        self.errors += other.errors
        self.soldOut += other.soldOut
        if self.firstError == nil { self.firstError = other.firstError }
    }
}

/// Runs `calls` calls of `script`, spread over `concurrency` concurrent callers; `firstCall` numbers the purchase ids.
func drive(client: RedisClient, script: BenchScript, calls: Int, concurrency: Int, firstCall: Int) async -> WorkerTally {
    let workers = min(concurrency, calls)
    return await withTaskGroup(of: WorkerTally.self) { group in
        var next = firstCall
        for worker in 0..<workers {
            // Worker `worker` makes `share` calls, numbered from `start`.
            let share = calls / workers + (worker < calls % workers ? 1 : 0)
            let start = next
            next += share
            group.addTask {
                var tally = WorkerTally()
                for call in start..<(start + share) {
                    let arguments: [RESPArgument] = script.takesPurchaseID ? [.integer(BenchScript.purchaseIDBase + call)] : []
                    do {
                        let reply = try await client.evalScript(script.script, keys: script.keys, arguments: arguments)
                        if script.takesPurchaseID, case .integer(0) = reply { tally.soldOut += 1 }
                    } catch {
                        tally.errors += 1
                        if tally.firstError == nil { tally.firstError = "\(error)" }
                    }
                }
                return tally
            }
        }
        var total = WorkerTally()
        for await tally in group { total.add(tally) }
        return total
    }
}

/// Empties the purchase keys and fills the pool with tickets `1...count`, `RPUSH`ing 1000 ids per command,
/// pipelined 16 commands at a time.
func seedPool(client: RedisClient, count: Int) async throws {
    _ = try await client.execute(RESPCommand("DEL", .string(BenchScript.poolKey), .string(BenchScript.soldKey)))
    let batch = 1_000
    var commands: [RESPCommand] = []
    var ticket = 1
    while ticket <= count {
        var arguments: [RESPArgument] = [.string(BenchScript.poolKey)]
        let last = min(count, ticket + batch - 1)
        arguments.reserveCapacity(last - ticket + 2)
        for id in ticket...last { arguments.append(.integer(id)) }
        commands.append(RESPCommand("RPUSH", arguments))
        ticket = last + 1
        if commands.count == 16 || ticket > count {
            for result in try await client.pipeline(commands, options: RedisCommandOptions(timeout: .seconds(10))) {
                _ = try result.get()
            }
            commands.removeAll(keepingCapacity: true)
        }
    }
    let length = try await client.execute(RESPCommand("LLEN", .string(BenchScript.poolKey)))
    guard length.integer == Int64(count) else { throw BenchError("seeded \(count) tickets but LLEN says \(length)") }
}

/// What the server spent: its CPU time (seconds) and `EVALSHA`'s calls and `usec_per_call` since the last reset.
struct ServerStats {
    var cpuSeconds = 0.0
    var evalshaCalls = 0
    var evalshaUsecPerCall = 0.0

    static func read(client: RedisClient) async throws -> ServerStats {
        var stats = ServerStats()
        for line in try await Self.info(client: client, section: "cpu") {
            if line.hasPrefix("used_cpu_sys:") || line.hasPrefix("used_cpu_user:") {
                stats.cpuSeconds += Double(line.split(separator: ":")[1]) ?? 0
            }
        }
        // cmdstat_evalsha:calls=300000,usec=540000,usec_per_call=1.80,rejected_calls=0,failed_calls=0
        for line in try await Self.info(client: client, section: "commandstats") where line.hasPrefix("cmdstat_evalsha:") {
            for field in line.dropFirst("cmdstat_evalsha:".count).split(separator: ",") {
                let pair = field.split(separator: "=")
                guard pair.count == 2 else { continue }
                if pair[0] == "calls" { stats.evalshaCalls = Int(pair[1]) ?? 0 }
                if pair[0] == "usec_per_call" { stats.evalshaUsecPerCall = Double(pair[1]) ?? 0 }
            }
        }
        return stats
    }

    private static func info(client: RedisClient, section: String) async throws -> [Substring] {
        let reply = try await client.execute(RESPCommand("INFO", .string(section)))
        guard let text = reply.string else { throw BenchError("INFO \(section) replied \(reply)") }
        return text.split(whereSeparator: \.isNewline)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func format(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let have = text.distance(from: dot, to: text.endIndex) - 1
        if have < decimals { text += String(repeating: "0", count: decimals - have) }
    } else if decimals > 0 {
        text += "." + String(repeating: "0", count: decimals)
    }
    return text
}

// MARK: Main

func runBenchmark(_ options: BenchOptions) async throws {
    guard let script = BenchScript.named(options.script) else { BenchOptions.fail("unknown script") }
    var logger = Logger(label: "bench.redis")
    logger.logLevel = .error

    var configuration = try RedisClientConfiguration(url: options.url)
    configuration.connectionCount = options.connections
    configuration.commandTimeout = .seconds(30)
    var ownGroup: MultiThreadedEventLoopGroup?
    if let threads = options.eventLoops {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        ownGroup = group
        configuration.eventLoopGroup = group
    }
    let client = RedisClient(configuration: configuration, logger: logger)
    let services = ServiceGroup(services: [client], gracefulShutdownSignals: [], logger: logger)
    let runner = Task { try await services.run() }

    // Wait until every connection is up (or give up after 5 s).
    let clock = ContinuousClock()
    let connectDeadline = clock.now + .seconds(5)
    while client.health != .up {
        guard clock.now < connectDeadline else { throw BenchError("the client did not come up within 5 s (health \(client.health))") }
        try await Task.sleep(for: .milliseconds(5))
    }

    try await client.loadScript(script.script)
    let totalPurchases = options.calls + options.warmup
    if script.takesPurchaseID {
        let seedStart = clock.now
        try await seedPool(client: client, count: totalPurchases)
        print("seeded \(totalPurchases) tickets in \(clock.now - seedStart)")
    }
    if options.warmup > 0 {
        let warm = await drive(client: client, script: script, calls: options.warmup, concurrency: options.concurrency, firstCall: 0)
        if warm.errors > 0 { print("warm-up: \(warm.errors) errors, first: \(warm.firstError ?? "?")") }
    }

    var serverBefore = ServerStats()
    if options.serverStats {
        _ = try await client.execute(RESPCommand("CONFIG", "RESETSTAT"))
        serverBefore = try await ServerStats.read(client: client)
    }
    let cpuBefore = processCPUMicroseconds()
    let start = clock.now
    let tally = await drive(
        client: client,
        script: script,
        calls: options.calls,
        concurrency: options.concurrency,
        firstCall: options.warmup
    )
    let elapsed = clock.now - start
    let cpuAfter = processCPUMicroseconds()

    let serverAfter = options.serverStats ? try await ServerStats.read(client: client) : ServerStats()
    var soldCount: Int64 = -1
    if script.takesPurchaseID {
        soldCount = (try? await client.execute(RESPCommand("HLEN", .string(BenchScript.soldKey))).integer) ?? -1
    }

    await services.triggerGracefulShutdown()
    try await runner.value
    try await ownGroup?.shutdownGracefully()

    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let rate = Double(options.calls) / seconds
    let user = Double(cpuAfter.user - cpuBefore.user)
    let system = Double(cpuAfter.system - cpuBefore.system)
    let cpuPerCall = (user + system) / Double(options.calls)
    let executor = options.nioExecutor ? "nio" : "default"
    let loops = options.eventLoops.map(String.init) ?? "singleton(\(System.coreCount))"

    print(
        """
        script=\(script.name) calls=\(options.calls) concurrency=\(options.concurrency) connections=\(options.connections) \
        event-loops=\(loops) executor=\(executor)
          wall        \(format(seconds, decimals: 3)) s
          throughput  \(format(rate, decimals: 0)) calls/s
          CPU         \(format(cpuPerCall, decimals: 2)) µs/call (user \(format(user / Double(options.calls), decimals: 2)), \
        sys \(format(system / Double(options.calls), decimals: 2))); \(format((user + system) / 1e6 / seconds, decimals: 2)) cores busy
          switches    \(cpuAfter.voluntarySwitches - cpuBefore.voluntarySwitches) voluntary, \
        \(cpuAfter.involuntarySwitches - cpuBefore.involuntarySwitches) involuntary
          errors      \(tally.errors)\(tally.firstError.map { " (first: \($0))" } ?? "")
        """
    )
    let serverCPUPerCall = (serverAfter.cpuSeconds - serverBefore.cpuSeconds) * 1e6 / Double(options.calls)
    if options.serverStats {
        print(
            "  redis       \(format(serverCPUPerCall, decimals: 2)) µs CPU/call; EVALSHA usec_per_call "
                + "\(format(serverAfter.evalshaUsecPerCall, decimals: 2)) over \(serverAfter.evalshaCalls) calls"
        )
    }
    if script.takesPurchaseID {
        print("  sold out    \(tally.soldOut) calls; \(soldCount) tickets recorded as sold (expected \(totalPurchases))")
    }
    print(
        "RESULT script=\(script.name) connections=\(options.connections) calls=\(options.calls) concurrency=\(options.concurrency) "
            + "seconds=\(format(seconds, decimals: 4)) rps=\(format(rate, decimals: 0)) cpu_us_per_call=\(format(cpuPerCall, decimals: 2)) "
            + "errors=\(tally.errors) sold_out=\(tally.soldOut)"
            + (options.serverStats
                ? " redis_cpu_us_per_call=\(format(serverCPUPerCall, decimals: 2)) evalsha_usec_per_call=\(serverAfter.evalshaUsecPerCall)"
                : "")
    )
}

let options = BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
if options.nioExecutor {
    guard NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() else {
        BenchOptions.fail("could not install NIO as the global executor (a task ran before main?)")
    }
}
do {
    try await runBenchmark(options)
} catch {
    var stderr = StandardError()
    print("RedisClientBench: \(error)", to: &stderr)
    exit(1)
}
