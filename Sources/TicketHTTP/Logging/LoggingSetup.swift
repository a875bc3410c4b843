import Configuration
import Logging

/// Bootstraps swift-log with ``JSONLogHandler``, once, from `main`.
///
/// ```swift
/// let reader = ConfigReader(providers: [EnvironmentVariablesProvider()])
/// let output = try LoggingSetup.bootstrap(reader: reader)     // LOG_LEVEL, LOG_FILE
/// ```
///
/// Libraries and tests never call this: they take a `Logger`. Calling `LoggingSystem.bootstrap` twice traps.
public enum LoggingSetup {
    /// Routes every `Logger` of the process to JSON lines on `console` (standard output unless told otherwise)
    /// and, when `file` is given, to `file` as well; a line logged for a traced request names its trace
    /// (``TraceIDMetadata``).
    /// - Parameters:
    ///   - level: The lowest level written.
    ///   - file: A file to append lines to as well (its parent directories are created); `nil` for the console only.
    ///   - console: Standard output, or standard error for a command whose own output goes to standard output.
    /// - Returns: The output every handler shares.
    /// - Throws: ``LogFileError`` when the file cannot be opened; nothing is bootstrapped then.
    @discardableResult
    public static func bootstrap(level: Logger.Level, file: String?, console: LogOutput.Console = .standardOutput) throws(LogFileError) -> LogOutput {
        let output = try LogOutput(alsoTo: file, console: console)
        LoggingSystem.bootstrap(
            { label, provider in
                JSONLogHandler(label: label, output: output, level: level, metadataProvider: provider)
            },
            metadataProvider: TraceIDMetadata.provider
        )
        return output
    }

    /// Reads the level and file from `reader`, then bootstraps as ``bootstrap(level:file:console:)`` does.
    ///
    /// Configuration keys:
    /// - `log.level` (`LOG_LEVEL`, string, default `"info"`): `trace`, `debug`, `info`, `notice`, `warn`/`warning`,
    ///   `error` or `critical`, in any case; an unknown name means `info`.
    /// - `log.file` (`LOG_FILE`, string, default none): a file to append lines to as well.
    /// - Throws: ``LogFileError`` when the file cannot be opened.
    @discardableResult
    public static func bootstrap(reader: ConfigReader, console: LogOutput.Console = .standardOutput) throws(LogFileError) -> LogOutput {
        let level = reader.string(forKey: "log.level").flatMap(Self.level(named:)) ?? .info
        return try Self.bootstrap(level: level, file: reader.string(forKey: "log.file"), console: console)
    }

    /// The level for a `LOG_LEVEL` value (`warn` is `warning`, `err` is `error`, `fatal` is `critical`), or `nil`.
    public static func level(named name: String) -> Logger.Level? {
        switch name.lowercased() {
        case "trace": .trace
        case "debug": .debug
        case "info": .info
        case "notice": .notice
        case "warn", "warning": .warning
        case "err", "error": .error
        case "critical", "fatal": .critical
        default: nil
        }
    }
}
