import Configuration
import TicketCore
import TicketRedis

/// The fallback's settings as `ticketd serve` reads them.
struct FallbackSettings {
    /// Whether to sell from escrow when Redis fails (`FALLBACK_ENABLED`, bool, default `true`).
    var enabled: Bool
    /// The directory of the instance id, escrow mirror and journal (`FALLBACK_DIR`, string, default `./data`).
    var directory: String
    /// This instance's id (`INSTANCE_ID`, default: chosen on first start and kept in the directory).
    var instanceID: InstanceID?
    /// Escrow sizes and refresh (`FALLBACK_ESCROW_PERCENT`, double, default `1`; `FALLBACK_ESCROW_MAX`, int,
    /// default `1000`; `FALLBACK_REFRESH_MS`, int, default `1000`), the hang probe (`FALLBACK_PROBE_INTERVAL_MS`,
    /// int, default `100`; `FALLBACK_PROBE_TIMEOUT_MS`, int, default `600`) and when a silent instance counts as
    /// gone for `POST /admin/escrow/release` (`FALLBACK_GONE_AFTER_MS`, int, default `30000`).
    var configuration: FallbackConfiguration

    /// Reads the settings.
    /// - Throws: ``ConfigurationError`` when `INSTANCE_ID` is not a valid id or `FALLBACK_GONE_AFTER_MS` is below ten
    ///   refresh intervals.
    init(reader: ConfigReader) throws {
        let defaults = FallbackConfiguration()
        self.enabled = reader.bool(forKey: "fallback.enabled", default: true)
        self.directory = reader.string(forKey: "fallback.dir", default: "./data")
        if let text = reader.string(forKey: "instance.id"), !text.isEmpty {
            guard let id = InstanceID(text) else {
                // A configuration to fix (exit 78); it was a storage error, exit 1.
                throw ConfigurationError("INSTANCE_ID \(text) is not 1 to 64 letters, digits, _ or -")
            }
            self.instanceID = id
        }
        let refreshMs = reader.int(forKey: "fallback.refreshMs", default: 1000)
        if let goneAfterMs = reader.int(forKey: "fallback.goneAfterMs"), goneAfterMs < refreshMs * 10 {
            // Raised in silence before: an instance that missed a few refreshes under load would count as gone.
            throw ConfigurationError(
                "FALLBACK_GONE_AFTER_MS must be at least ten FALLBACK_REFRESH_MS (\(refreshMs * 10)), not \"\(goneAfterMs)\""
            )
        }
        self.configuration = FallbackConfiguration(
            escrowFraction: reader.double(forKey: "fallback.escrowPercent", default: defaults.escrowFraction * 100) / 100,
            escrowMaximum: reader.int(forKey: "fallback.escrowMax", default: defaults.escrowMaximum),
            refreshInterval: .milliseconds(refreshMs),
            probeInterval: .milliseconds(reader.int(forKey: "fallback.probe.intervalMs", default: 100)),
            probeTimeout: .milliseconds(reader.int(forKey: "fallback.probe.timeoutMs", default: 600)),
            goneAfter: .milliseconds(reader.int(forKey: "fallback.goneAfterMs", default: 30_000))
        )
    }
}
