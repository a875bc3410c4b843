import ArgumentParser
import Configuration
import DotEnv
import Foundation
import Logging
import OTLPTracing
import RESPClient
import TicketCore
import TicketHTTP

/// Reads the configuration once per process: the environment first, then an optional `.env` file.
enum ConfigurationLoader {
    /// The reader every command uses, its values checked (``ConfigurationCheck``).
    /// - Throws: ``ConfigurationError`` when `.env` cannot be read or parsed, or a value cannot be used.
    static func reader() throws(ConfigurationError) -> ConfigReader {
        let reader = ConfigReader(providers: [
            EnvironmentVariablesProvider(),
            EnvironmentVariablesProvider(environmentVariables: try Self.environmentFile(".env")),
        ])
        try ConfigurationCheck.validate(reader)
        return reader
    }

    /// The variables of the `.env` file at `path`; none when there is no such file.
    private static func environmentFile(_ path: String) throws(ConfigurationError) -> [String: String] {
        do {
            return try DotEnvFile.variables(atPath: path)
        } catch {
            throw ConfigurationError(error.description)
        }
    }

    /// The Redis URL: `redis+cluster://` and the seed list `REDIS_CLUSTER_NODES` (`host:port,host:port`, no
    /// credentials) when that is set, else `REDIS_URL` (default `redis://localhost:6379`; a
    /// `redis+cluster://[user:password@]host:port[,host:port…]` URL also selects cluster mode).
    /// - Throws: `ExitCode` 78, the reason on standard error, for a seed list that is not one: its error named
    ///   `REDIS_URL`, which the operator had not set.
    static func redisURL(_ reader: ConfigReader) throws -> String {
        if let nodes = reader.string(forKey: "redis.clusterNodes"), !nodes.isEmpty {
            let url = "\(RedisEndpoint.clusterScheme)://\(nodes.filter { !$0.isWhitespace })"
            do {
                _ = try RedisClientConfiguration(url: url)
            } catch {
                throw Self.misconfigured("REDIS_CLUSTER_NODES: \(error)")
            }
            return url
        }
        return reader.string(forKey: "redis.url", default: "redis://localhost:6379")
    }

    /// The Redis client's configuration: the URL, and `REDIS_COMMAND_TIMEOUT_MS` (int, default 2000), how long one
    /// Redis call may take before its outcome counts as unknown (a purchase then asks again, up to three times).
    static func redisClientConfiguration(_ reader: ConfigReader) throws -> RedisClientConfiguration {
        var configuration = try RedisClientConfiguration.ticketd(url: try Self.redisURL(reader))
        configuration.commandTimeout = .milliseconds(reader.int(forKey: "redis.commandTimeoutMs", default: 2000))
        return configuration
    }

    /// The key that signs ticket tokens and keys purchase ids derived from an `Idempotency-Key`
    /// (`TICKET_SIGNING_KEY`, string, secret, at least 16 bytes); `nil`, with a warning, when it is not set: tickets
    /// are then signed with a random key of this process (their QR codes stop verifying when it restarts).
    /// - Throws: ``ConfigurationError`` when the key is set but shorter than 16 bytes.
    static func ticketSigningKey(_ reader: ConfigReader, logger: Logger) throws -> TicketSigningKey? {
        guard let secret = reader.string(forKey: "ticket.signingKey", isSecret: true), !secret.isEmpty else {
            logger.warning(
                "TICKET_SIGNING_KEY is not set: tickets are signed with a random key that dies with this process, and purchase ids derived from an Idempotency-Key can be computed by anyone who knows the key"
            )
            return nil
        }
        guard let key = TicketSigningKey(secret) else {
            throw ConfigurationError("TICKET_SIGNING_KEY must have at least \(TicketSigningKey.minimumLength) bytes")
        }
        return key
    }

    /// The configuration and the logger of a one-shot command (`seed`, `audit`), whose log goes to standard error:
    /// standard output is its report. Call once, first.
    /// - Throws: `ExitCode` 78 (`EX_CONFIG` of `sysexits.h`), the reason written to standard error, when the
    ///   configuration cannot be used.
    static func oneShotCommand() throws -> (reader: ConfigReader, logger: Logger) {
        do {
            let reader = try Self.reader()
            return (reader, try Self.bootstrapLogging(reader, console: .standardError).logger)
        } catch {
            throw Self.misconfigured("\(error)")
        }
    }

    /// Says on standard error why the configuration cannot be used, and gives the exit status every command gives
    /// then: 78 (`EX_CONFIG` of `sysexits.h`), which a script or supervisor tells from a failure (1) or a Redis it
    /// cannot reach (69).
    static func misconfigured(_ reason: String) -> ExitCode {
        FileHandle.standardError.write(Data("Error: \(reason)\n".utf8))
        return ExitCode(AuditCommand.misconfigured)
    }

    /// ``misconfigured(_:)`` for `error` when it says the configuration cannot be used (a setting or `.env` line,
    /// `REDIS_URL`, an `OTEL_*` value); `nil` for any other error, which the command reports as its own.
    static func misconfigured(by error: any Error) -> ExitCode? {
        switch error {
        case let error as RedisURLError: Self.misconfigured("REDIS_URL: \(error)")
        case is ConfigurationError, is OTLPConfigurationError: Self.misconfigured("\(error)")
        default: nil
        }
    }

    /// Bootstraps logging from `LOG_LEVEL` and `LOG_FILE`, to `console` besides the file; call once, first.
    static func bootstrapLogging(_ reader: ConfigReader, console: LogOutput.Console = .standardOutput) throws -> (logger: Logger, output: LogOutput) {
        let file = reader.string(forKey: "log.file") ?? ""
        do {
            let output = try LoggingSetup.bootstrap(reader: reader, console: console)
            return (Logger(label: "ticketd"), output)
        } catch {
            throw ConfigurationError("LOG_FILE \(file) cannot be used: \(error)")
        }
    }
}

/// A configuration value that cannot be used.
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
