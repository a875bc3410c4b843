import Configuration
import TicketCore
import TicketHTTP

/// Refuses configuration values that cannot be meant, before anything reads them: a number that does not parse
/// or is out of range, an unknown log level, a boolean that is neither `true` nor `false`.
///
/// The readers elsewhere fall back to their defaults when a value does not parse, and some arithmetic traps on
/// extreme values: `PORT=abc` used to listen on 3049, `PORT=70000` on 4464, `REDIS_COMMAND_TIMEOUT_MS=0` made
/// every Redis call time out, and `PDF_CLEANUP_INTERVAL_MINUTES=inf` crashed the server. Each is now one line
/// saying what is wrong, and exit status 1.
enum ConfigurationCheck {
    private struct Setting {
        let key: String
        let variable: String
        let kind: Kind
    }

    private enum Kind {
        case integer(ClosedRange<Int>)
        case decimal(ClosedRange<Double>)
        /// 0, for "off", or a number in the range.
        case offOrDecimal(ClosedRange<Double>)
        case boolean
        case logLevel
        /// RFC 6750's `b64token`, which is what `Authorization: Bearer` can carry; a secret, so never quoted.
        case bearerToken
    }

    private static let settings: [Setting] = [
        Setting(key: "port", variable: "PORT", kind: .integer(0...65_535)),
        Setting(key: "http.backlog", variable: "HTTP_BACKLOG", kind: .integer(1...65_535)),
        // Below a second, a connection would close before its first request arrives.
        Setting(key: "http.idleTimeoutSeconds", variable: "HTTP_IDLE_TIMEOUT_SECONDS", kind: .offOrDecimal(1...86_400)),
        Setting(key: "http.drainTimeoutSeconds", variable: "HTTP_DRAIN_TIMEOUT_SECONDS", kind: .decimal(0...3_600)),
        Setting(key: "http.maxConnections", variable: "HTTP_MAX_CONNECTIONS", kind: .integer(1...10_000_000)),
        Setting(key: "redis.commandTimeoutMs", variable: "REDIS_COMMAND_TIMEOUT_MS", kind: .integer(1...3_600_000)),
        Setting(key: "log.level", variable: "LOG_LEVEL", kind: .logLevel),
        // `ADMIN_TOKEN=" "` turned the admin routes on behind a token no request can send.
        Setting(key: "admin.token", variable: "ADMIN_TOKEN", kind: .bearerToken),
        Setting(key: "pdf.workers", variable: "PDF_WORKERS", kind: .integer(0...256)),
        Setting(key: "pdf.backlogCapacity", variable: "PDF_BACKLOG_CAPACITY", kind: .integer(1...100_000_000)),
        // 0 deleted every ticket at each cleanup, where 0 means "never" for HTTP_IDLE_TIMEOUT_SECONDS.
        Setting(key: "pdf.cleanupMaxAgeHours", variable: "PDF_CLEANUP_MAX_AGE_HOURS", kind: .decimal(0.01...1_000_000)),
        Setting(key: "pdf.cleanupIntervalMinutes", variable: "PDF_CLEANUP_INTERVAL_MINUTES", kind: .decimal(0.1...1_000_000)),
        Setting(key: "fallback.enabled", variable: "FALLBACK_ENABLED", kind: .boolean),
        Setting(key: "fallback.escrowPercent", variable: "FALLBACK_ESCROW_PERCENT", kind: .decimal(0...100)),
        Setting(key: "fallback.escrowMax", variable: "FALLBACK_ESCROW_MAX", kind: .integer(0...10_000_000)),
        Setting(key: "fallback.refreshMs", variable: "FALLBACK_REFRESH_MS", kind: .integer(10...3_600_000)),
        Setting(key: "fallback.probe.intervalMs", variable: "FALLBACK_PROBE_INTERVAL_MS", kind: .integer(10...60_000)),
        Setting(key: "fallback.probe.timeoutMs", variable: "FALLBACK_PROBE_TIMEOUT_MS", kind: .integer(10...600_000)),
        Setting(key: "fallback.goneAfterMs", variable: "FALLBACK_GONE_AFTER_MS", kind: .integer(1...604_800_000)),
    ]

    /// Settings that have no meaning empty: set but empty, each failed later with a message that did not name it
    /// (`HOST=` "for host , port 3049", `PDF_OUTPUT_DIR=` "mkdir : No such file or directory"), or was taken as
    /// unset or as nothing in silence (`PORT=` served on 3049, `APP_VERSION=` reported version "").
    private static let nonEmpty: [(key: String, variable: String)] = [
        ("host", "HOST"), ("port", "PORT"), ("redis.url", "REDIS_URL"), ("redis.clusterNodes", "REDIS_CLUSTER_NODES"),
        ("pdf.outputDir", "PDF_OUTPUT_DIR"), ("fallback.dir", "FALLBACK_DIR"),
        ("log.level", "LOG_LEVEL"), ("app.env", "APP_ENV"), ("app.version", "APP_VERSION"),
    ]

    /// Checks every setting that `reader` has a value for.
    /// - Throws: ``ConfigurationError`` naming the first variable whose value cannot be used, and what it must be.
    static func validate(_ reader: ConfigReader) throws(ConfigurationError) {
        for setting in Self.nonEmpty where reader.string(forKey: ConfigKey(setting.key))?.allSatisfy(\.isWhitespace) == true {
            throw ConfigurationError("\(setting.variable) is set but empty: unset it for its default, or give it a value")
        }
        for setting in Self.settings {
            guard let text = reader.string(forKey: ConfigKey(setting.key)), !text.isEmpty else { continue }
            let valid: Bool
            let expected: String
            switch setting.kind {
            case .integer(let range):
                valid = Int(text).map(range.contains) ?? false
                expected = "a whole number from \(range.lowerBound) to \(range.upperBound)"
            case .decimal(let range):
                valid = DecimalNumber.value(of: text).map(range.contains) ?? false
                expected = "a number from \(Self.text(range.lowerBound)) to \(Self.text(range.upperBound))"
            case .offOrDecimal(let range):
                valid = DecimalNumber.value(of: text).map { $0 == 0 || range.contains($0) } ?? false
                expected = "0 (never) or a number from \(Self.text(range.lowerBound)) to \(Self.text(range.upperBound))"
            case .boolean:
                // As the reader takes them.
                valid = ["true", "false", "yes", "no", "1", "0"].contains(text.lowercased())
                expected = "true or false (yes and 1, no and 0 read the same)"
            case .logLevel:
                valid = LoggingSetup.level(named: text) != nil
                expected = "one of trace, debug, info, notice, warning, error, critical"
            case .bearerToken:
                // A short token is guessed: one character was accepted. The same floor as TICKET_SIGNING_KEY's, counted
                // before the `=` padding, which adds nothing to guess (`a===============` passed).
                valid = (Self.bearerTokenLength(text) ?? 0) >= Self.shortestToken
                expected =
                    "at least \(Self.shortestToken) characters before any = padding: letters, digits and - . _ ~ + /, then any number of =, as a bearer token can carry (RFC 6750)"
            }
            guard valid else {
                if case .bearerToken = setting.kind { throw ConfigurationError("\(setting.variable) must be \(expected)") }
                throw ConfigurationError("\(setting.variable) must be \(expected), not \"\(text.prefix(80))\"")
            }
        }
    }

    /// The fewest characters of `ADMIN_TOKEN`, its `=` padding left out.
    static let shortestToken = 16

    /// The length of `text` before its `=` padding when it is an RFC 6750 `b64token`,
    /// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`; `nil` when it is not one.
    private static func bearerTokenLength(_ text: String) -> Int? {
        let body = text.utf8.reversed().drop { $0 == UInt8(ascii: "=") }
        let isToken =
            !body.isEmpty
            && body.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "-._~+/".utf8.contains(byte)
            }
        return isToken ? body.count : nil
    }

    /// `100` rather than `100.0`.
    private static func text(_ number: Double) -> String {
        number == number.rounded() ? String(Int(number)) : String(number)
    }
}
