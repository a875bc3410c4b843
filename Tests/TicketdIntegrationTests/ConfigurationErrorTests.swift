import Foundation
import RedisTestSupport
import Testing

/// A configuration value that cannot be meant stops `ticketd` at once with one line saying which and why: never a
/// crash, never a default taken in its place.
@Suite(.timeLimit(.minutes(1))) struct ConfigurationErrorTests {
    /// A directory of its own, for the command's output and its `.env`.
    private static func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ticketd-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Before, each of these crashed the server with a Swift runtime trap (SIGILL) or served with a wrong value:
    /// `PORT=70000` listened on 4464, `PORT=abc` on 3049, and a zero timeout failed every Redis call.
    @Test(arguments: [
        ("PORT", "70000", "PORT must be a whole number from 0 to 65535"),
        ("PORT", "abc", "PORT must be a whole number from 0 to 65535"),
        ("REDIS_COMMAND_TIMEOUT_MS", "99999999999999999", "REDIS_COMMAND_TIMEOUT_MS must be a whole number from 1 to 3600000"),
        ("REDIS_COMMAND_TIMEOUT_MS", "0", "REDIS_COMMAND_TIMEOUT_MS must be a whole number from 1 to 3600000"),
        ("PDF_CLEANUP_INTERVAL_MINUTES", "inf", "PDF_CLEANUP_INTERVAL_MINUTES must be a number from 0.1 to 1000000"),
        ("PDF_CLEANUP_MAX_AGE_HOURS", "1e300", "PDF_CLEANUP_MAX_AGE_HOURS must be a number from 0.01 to 1000000"),
        // 0 deleted every ticket at each cleanup.
        ("PDF_CLEANUP_MAX_AGE_HOURS", "0", "PDF_CLEANUP_MAX_AGE_HOURS must be a number from 0.01 to 1000000"),
        ("FALLBACK_ESCROW_PERCENT", "nan", "FALLBACK_ESCROW_PERCENT must be a number from 0 to 100"),
        // Read as hexadecimal: 24 hours.
        ("PDF_CLEANUP_MAX_AGE_HOURS", "0x18", "PDF_CLEANUP_MAX_AGE_HOURS must be a number from 0.01 to 1000000"),
        ("HTTP_IDLE_TIMEOUT_SECONDS", "-1", "HTTP_IDLE_TIMEOUT_SECONDS must be 0 (never) or a number from 1 to 86400"),
        ("HTTP_IDLE_TIMEOUT_SECONDS", "1e-9", "HTTP_IDLE_TIMEOUT_SECONDS must be 0 (never) or a number from 1 to 86400"),
        // The message named true and false only, though yes and 1 were taken.
        ("FALLBACK_ENABLED", "on", "FALLBACK_ENABLED must be true or false (yes and 1, no and 0 read the same)"),
        ("HTTP_DRAIN_TIMEOUT_SECONDS", "soon", "HTTP_DRAIN_TIMEOUT_SECONDS must be a number from 0 to 3600"),
        ("LOG_LEVEL", "bogus", "LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical"),
        // Raised to ten refresh intervals in silence before.
        ("FALLBACK_GONE_AFTER_MS", "100", "FALLBACK_GONE_AFTER_MS must be at least ten FALLBACK_REFRESH_MS (10000)"),
    ])
    func anUnusableValueStopsTheServerSayingWhich(variable: String, value: String, message: String) async throws {
        let output = try await Self.refusedServe([variable: value])
        #expect(output.contains("\(message), not \"\(value)\""), "\(output)")
    }

    /// An `INSTANCE_ID` that is no id is a configuration to fix (78): it stopped the server with exit status 1.
    @Test func anInstanceIDThatIsNoIDStopsTheServerAsAConfiguration() async throws {
        let output = try await Self.refusedServe(["INSTANCE_ID": "a/b"])
        #expect(output.contains("INSTANCE_ID a/b is not 1 to 64 letters, digits, _ or -"), "\(output)")
    }

    /// More connections than the open-files limit leaves room for would run the server out of descriptors, which
    /// crashed it (SIGILL) in 3 black-box runs of 11.
    @Test func moreConnectionsThanTheOpenFilesLimitAllowsStopTheServer() async throws {
        let output = try await Self.refusedServe(["HTTP_MAX_CONNECTIONS": "1000"], wrapper: ["prlimit", "--nofile=256:256"])
        #expect(output.contains("HTTP_MAX_CONNECTIONS 1000 is more than an open-files limit of 256 allows (192,"), "\(output)")
    }

    /// Set but empty, each of these failed later, with a message that did not name it, or was taken in silence as
    /// unset (`PORT`, `LOG_LEVEL`, `APP_ENV`) or as nothing (`APP_VERSION`).
    @Test(arguments: ["HOST", "PORT", "REDIS_URL", "REDIS_CLUSTER_NODES", "PDF_OUTPUT_DIR", "FALLBACK_DIR", "LOG_LEVEL", "APP_ENV", "APP_VERSION"])
    func aSettingThatCannotBeEmptyStopsTheServerNamingIt(variable: String) async throws {
        let output = try await Self.refusedServe([variable: ""])
        #expect(output.contains("\(variable) is set but empty"), "\(output)")
    }

    /// `ADMIN_TOKEN=" "` turned the admin routes on behind a token that no `Authorization: Bearer` can carry, and a
    /// token of one character was accepted (15 here). The message does not repeat the secret.
    @Test(arguments: [" ", "two words but long", "pässword-pässword", "=abcdefghijklmnop", "short-token-123", "a===============", "short-token-123="])
    func anAdminTokenNoBearerCanCarryOrShortStopsTheServer(token: String) async throws {
        let output = try await Self.refusedServe(["ADMIN_TOKEN": token])
        #expect(output.contains("ADMIN_TOKEN must be at least 16 characters before any = padding: letters, digits and - . _ ~ + /"), "\(output)")
        if token != " " { #expect(!output.contains(token), "\(output)") }
    }

    /// Runs `ticketd serve` in a scratch directory, with its own data and ticket directories unless `environment`
    /// names others, expects it to stop at once with exit status 78, and returns what it printed.
    private static func refusedServe(_ environment: [String: String], wrapper: [String] = []) async throws -> String {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let directories = ["FALLBACK_DIR": directory + "/data", "PDF_OUTPUT_DIR": directory + "/tickets"]
        let result = try await TicketdProcess.run(
            ["serve"],
            redisURL: "redis://127.0.0.1:1",
            directory: directory,
            environment: directories.merging(environment) { $1 },
            wrapper: wrapper
        )
        #expect(result.status == 78, "exit status \(result.status): \(result.output)")
        return result.output
    }

    /// A `HOST` that resolves to nothing is named: the server stopped with "SocketAddressError.UnknownHost".
    @Test func aHostThatNamesNoAddressStopsTheServerNamingIt() async throws {
        let output = try await Self.refusedServe(["HOST": "not..a..host"])
        #expect(output.contains("HOST not..a..host names no address to listen on"), "\(output)")
    }

    /// A `.env` written on Windows, with `export` and quotes, reads as a shell would read it: before, its CRLF lines
    /// ran together into one value and every later setting was lost in silence.
    @Test func aDotEnvFileIsReadAsAShellReadsItAndABadLineIsNamed() async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environmentFile = directory + "/.env"
        // With a byte-order mark, as Windows editors write: it made line 1 an error that could not show why.
        try "\u{FEFF}# written on Windows\r\nAPP_ENV=production\r\nexport HTTP_BACKLOG='70000' # too many\r\n"
            .write(toFile: environmentFile, atomically: true, encoding: .utf8)
        let quoted = try await TicketdProcess.run(["serve"], redisURL: "redis://127.0.0.1:1", directory: directory, inDirectory: true)
        #expect(quoted.status == 78, "\(quoted.output)")
        #expect(quoted.output.contains(#"HTTP_BACKLOG must be a whole number from 1 to 65535, not "70000""#), "\(quoted.output)")

        try "APP_ENV=production\nPORT 3049\n".write(toFile: environmentFile, atomically: true, encoding: .utf8)
        let malformed = try await TicketdProcess.run(["serve"], redisURL: "redis://127.0.0.1:1", directory: directory, inDirectory: true)
        #expect(malformed.status == 78, "\(malformed.output)")
        #expect(malformed.output.contains(".env line 2 is not KEY=value: PORT 3049"), "\(malformed.output)")
    }

    /// Before, an unwritable ticket directory let the server start, sell and report healthy while every download
    /// failed, and a fallback directory under a file stopped it with a raw Foundation error dump. Each message names
    /// its variable.
    @Test func unusableDirectoriesStopTheServerSayingWhy() async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "not a directory".write(toFile: directory + "/afile", atomically: true, encoding: .utf8)
        let tickets = try await TicketdProcess.run(
            ["serve"],
            redisURL: "redis://127.0.0.1:1",
            directory: directory,
            environment: ["PDF_OUTPUT_DIR": directory + "/afile/tickets", "FALLBACK_DIR": directory + "/data"]
        )
        #expect(tickets.status == 78, "\(tickets.output)")
        #expect(tickets.output.contains("PDF_OUTPUT_DIR \(directory)/afile/tickets cannot hold tickets"), "\(tickets.output)")

        let fallback = try await TicketdProcess.run(
            ["serve"],
            redisURL: "redis://127.0.0.1:1",
            directory: directory,
            environment: ["PDF_OUTPUT_DIR": directory + "/tickets", "FALLBACK_DIR": directory + "/afile/data"]
        )
        #expect(fallback.status == 78, "\(fallback.output)")
        let expected = "FALLBACK_DIR \(directory)/afile/data cannot be used: \(directory)/afile is a file, not a directory"
        #expect(fallback.output.contains(expected), "\(fallback.output)")

        let log = try await TicketdProcess.run(
            ["serve"],
            redisURL: "redis://127.0.0.1:1",
            directory: directory,
            environment: ["LOG_FILE": directory + "/afile/app.log", "PDF_OUTPUT_DIR": directory + "/tickets", "FALLBACK_DIR": directory + "/data"]
        )
        #expect(log.status == 78, "\(log.output)")
        #expect(
            log.output.contains("LOG_FILE \(directory)/afile/app.log cannot be used: \(directory)/afile is a file, not a directory"),
            "\(log.output)"
        )
    }

    /// OpenTelemetry reads a boolean that is not `true` as false, and asks for a warning unless it is `false`:
    /// `OTEL_SDK_DISABLED=maybe` left tracing on in silence.
    @Test func anOTelSwitchThatIsNeitherTrueNorFalseIsReadAsFalseWithAWarning() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let server = try await TicketdProcess.serve(
            redisURL: redis.url,
            directory: redis.directory,
            environment: ["OTEL_SDK_DISABLED": "maybe", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"]
        )
        defer { server.stop() }
        #expect(server.output.contains("OTEL_SDK_DISABLED is neither true nor false: read as false"), "\(server.output)")
    }

    /// `audit` tells books it could not read (exit status 69) from books that do not balance (1).
    @Test func anAuditThatCannotReachRedisSaysSoWithItsOwnExitStatus() async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await TicketdProcess.run(["audit"], redisURL: "redis://127.0.0.1:1", directory: directory)
        #expect(result.status == 69, "exit status \(result.status): \(result.output)")
        #expect(result.output.contains("the books could not be read") && result.output.contains("cannot reach Redis"), "\(result.output)")
        #expect(!result.output.contains("audit FAILED"), "\(result.output)")
        #expect(!result.output.contains("RedisError("), "\(result.output)")
    }

    /// `seed` without Redis exits as `audit` does (69), with Redis's reason, not the error's type names (it said
    /// `RedisError(notSent, circuitOpen)` and exited 1; found by black-box testing).
    @Test func aSeedThatCannotReachRedisSaysSoWithItsOwnExitStatus() async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await TicketdProcess.run(["seed", "1", "10"], redisURL: "redis://127.0.0.1:1", directory: directory)
        #expect(result.status == 69, "exit status \(result.status): \(result.output)")
        #expect(result.output.contains("cannot reach Redis") && result.output.contains("seeding stopped"), "\(result.output)")
        #expect(!result.output.contains("RedisError("), "\(result.output)")
    }

    /// A password Redis refuses is the configuration to fix (78), not a Redis to start (69, "cannot reach Redis",
    /// found by black-box testing); the password itself is not shown. It is said at once: both commands waited out
    /// their 5 s for a connection first, which a wrong password never gets (the bound below is that wait's, with
    /// room for a slow machine; the answer takes milliseconds).
    @Test(arguments: [["audit"], ["seed", "1", "10"]])
    func credentialsRedisRefusesAreAConfigurationThatCannotBeUsed(command: [String]) async throws {
        let redis = try await RedisServerFixture.start(arguments: ["--requirepass", "s3cret"])
        defer { redis.stop() }
        let start = ContinuousClock.now
        let result = try await TicketdProcess.run(command, redisURL: "redis://:wr0ng@127.0.0.1:\(redis.port)", directory: redis.directory)
        #expect(ContinuousClock.now - start < .seconds(5), "the refusal waited out the connection timeout")
        #expect(result.status == 78, "exit status \(result.status): \(result.output)")
        #expect(result.output.contains("Redis refused its credentials") && result.output.contains("WRONGPASS"), "\(result.output)")
        #expect(!result.output.contains("wr0ng") && !result.output.contains("cannot reach Redis"), "\(result.output)")
    }

    /// `serve` stops on them too (78), when it has no escrow on disk to sell: it used to serve on, every purchase
    /// answering 503 behind a live port.
    @Test func serveStopsOnCredentialsRedisRefuses() async throws {
        let redis = try await RedisServerFixture.start(arguments: ["--requirepass", "s3cret"])
        defer { redis.stop() }
        let output = try await Self.refusedServe(["REDIS_URL": "redis://:wr0ng@127.0.0.1:\(redis.port)"])
        #expect(output.contains("Redis refused its credentials") && !output.contains("wr0ng"), "\(output)")
    }

    /// An answers file that cannot be read, or a line of it that is not an answer, is a usage error (64) saying why,
    /// before Redis is asked anything: a missing file or a directory was "NSCocoaErrorDomain error 256".
    @Test func anAnswersFileThatCannotBeReadIsAUsageErrorSayingWhy() async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "1\t01jd5n0000000000000000000\t7\nnot an answer\n".write(toFile: directory + "/answers.tsv", atomically: true, encoding: .utf8)
        // CRLF line ends are line ends: this file's first line was read as three lines in one, and refused as line 1.
        try "1\t01jd5n0000000000000000000\t7\r\n2\t01jd5n0000000000000000001\t8\r\nnot an answer\r\n".write(
            toFile: directory + "/windows.tsv",
            atomically: true,
            encoding: .utf8
        )
        let cases = [
            (directory + "/missing.tsv", "cannot read \(directory)/missing.tsv: no such file"),
            (directory, "cannot read \(directory): it is a directory"),
            (directory + "/answers.tsv", "line 2 of \(directory)/answers.tsv is not an event id, a purchase id and a ticket id"),
            (directory + "/windows.tsv", "line 3 of \(directory)/windows.tsv is not an event id, a purchase id and a ticket id"),
        ]
        for (file, reason) in cases {
            let result = try await TicketdProcess.run(["audit", "--answers", file], redisURL: "redis://127.0.0.1:1", directory: directory)
            #expect(result.status == 64, "exit status \(result.status): \(result.output)")
            #expect(result.output.contains(reason) && !result.output.contains("cannot reach Redis"), "\(result.output)")
        }
    }

    /// `--version` prints the release (it was refused as an unknown option, followed by serve's usage).
    @Test func versionPrintsTheRelease() async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await TicketdProcess.run(["--version"], redisURL: "redis://127.0.0.1:1", directory: directory)
        #expect(result.status == 0, "exit status \(result.status): \(result.output)")
        #expect(result.output.contains(/^\d+\.\d+\.\d+\n/), "\(result.output)")
    }

    /// A per-user limit above the largest event is refused before Redis is asked: 2⁶³ - 1 was seeded, came back from
    /// Redis as -2⁶³, and the fallback then sold to named buyers as if the event had no limit.
    @Test(arguments: ["50000001", "9223372036854775807"]) func aPerUserLimitAboveTheLargestEventIsRefused(limit: String) async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await TicketdProcess.run(
            ["seed", "1", "10", "--per-user-limit", limit],
            redisURL: "redis://127.0.0.1:1",
            directory: directory
        )
        #expect(result.status == 64, "exit status \(result.status): \(result.output)")
        #expect(result.output.contains("--per-user-limit must be from 0 (no limit) to 50000000"), "\(result.output)")
    }

    /// A seed list that is not one is named as the operator wrote it: its error named `REDIS_URL`, which was not set.
    @Test(arguments: ["seed", "audit"]) func aClusterSeedListThatIsNotOneIsNamed(command: String) async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await TicketdProcess.run(
            [command],
            redisURL: "redis://127.0.0.1:1",
            directory: directory,
            environment: ["REDIS_CLUSTER_NODES": "127.0.0.1:1,,x"]
        )
        #expect(result.status == 78, "exit status \(result.status): \(result.output)")
        #expect(result.output.contains("Error: REDIS_CLUSTER_NODES: ") && !result.output.contains("REDIS_URL"), "\(result.output)")
    }

    /// Cluster seeds that are a Redis without cluster support say so in the error: it said only that no node
    /// answered `CLUSTER SHARDS`, and the cause was on a warning line before it (found by black-box testing).
    @Test func aClusterSeedWithoutClusterSupportIsNamedAsTheCause() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let result = try await TicketdProcess.run(
            ["audit"],
            redisURL: "redis://127.0.0.1:1",
            directory: redis.directory,
            environment: ["REDIS_CLUSTER_NODES": "127.0.0.1:\(redis.port)", "LOG_LEVEL": "error"]
        )
        #expect(result.status == 69, "exit status \(result.status): \(result.output)")
        #expect(result.output.contains("Error: ") && result.output.contains("cluster support disabled"), "\(result.output)")
        #expect(!result.output.contains("RedisError("), "\(result.output)")
    }

    /// A mistyped command is named as one, not read as an argument to `serve` (which showed serve's usage).
    @Test func anUnknownCommandIsRefusedAsOne() async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await TicketdProcess.run(["seeed", "2"], redisURL: "redis://127.0.0.1:1", directory: directory)
        #expect(result.status == 64, "exit status \(result.status): \(result.output)")
        #expect(result.output.contains("unknown command 'seeed'; the commands are serve, seed, audit"), "\(result.output)")
    }

    /// Exit status 1 is the audit's verdict on the books, and only that: a configuration it cannot use exited 1 too,
    /// and `ticket-load` reported it as a failed audit. `seed` and `serve` exit as `audit` does (they exited 1, so a
    /// supervisor could not tell a server to configure again from one that failed).
    @Test(arguments: [["audit"], ["seed", "1", "10"], ["serve"]], [("PORT", "abc"), ("REDIS_URL", "redis://:s3cret@127.0.0.1:99999")])
    func aConfigurationThatCannotBeUsedExitsWithItsOwnStatus(command: [String], setting: (variable: String, value: String)) async throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (variable, value) = setting
        let result = try await TicketdProcess.run(command, redisURL: "redis://127.0.0.1:1", directory: directory, environment: [variable: value])
        #expect(result.status == 78, "exit status \(result.status): \(result.output)")
        #expect(result.output.contains(variable) && !result.output.contains("s3cret"), "\(result.output)")
    }

    /// A tracing setting that cannot be used stops the server as any other setting does.
    @Test func anUnusableTracingSettingStopsTheServerWithTheConfigurationsStatus() async throws {
        let output = try await Self.refusedServe(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_SAMPLER": "sometimes"])
        #expect(output.contains("OTEL_TRACES_SAMPLER"), "\(output)")
    }
}
