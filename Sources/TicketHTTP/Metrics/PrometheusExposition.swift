import Prometheus
import TicketCore

/// Builds the Prometheus text exposition (format 0.0.4) that `GET /metrics` returns.
///
/// The output is the registry's families (this instance's metrics, and anything recorded through the process's
/// `MetricsSystem` when it is bootstrapped over the same registry), with a `# HELP` line added to every family
/// that lacks one, followed by per-event gauges computed from the store at scrape time, so they are right however
/// many instances sell from the same store:
///
/// ```
/// # HELP ticketd_event_tickets_available Tickets of the event still for sale (read from the store at scrape time).
/// # TYPE ticketd_event_tickets_available gauge
/// ticketd_event_tickets_available{event="1"} 9998
/// ```
///
/// When the store does not answer, the per-event families are left out and `ticketd_event_stats_scrape_success`
/// is 0: a scrape never fails because Redis is down. When some events cannot be read (their cluster shard down),
/// the others' gauges are there and the success gauge is 0.
///
/// The instance's version (`APP_VERSION`) is the label of an info gauge that is always 1, as Prometheus
/// exporters name their build: `ticketd_build_info{version="0.1.0"} 1`.
enum PrometheusExposition {
    /// The `Content-Type` of the text format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The full exposition.
    /// - Parameters:
    ///   - registry: The registry this instance's metrics are in.
    ///   - events: The events read from the store for this scrape, or `nil` when the store did not answer.
    ///   - complete: Whether `events` holds every event: `false` when some could not be read.
    ///   - version: The version `ticketd_build_info` reports.
    static func render(registry: PrometheusCollectorRegistry, events: [EventSnapshot]?, complete: Bool = true, version: String) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        Self.appendWithHelp(registry.emitToBuffer(), to: &buffer)
        if let events, !events.isEmpty {
            Self.appendGauge("ticketd_event_tickets_capacity", events.map { ($0.id, $0.capacity) }, to: &buffer)
            Self.appendGauge("ticketd_event_tickets_available", events.map { ($0.id, $0.available) }, to: &buffer)
            Self.appendGauge("ticketd_event_tickets_sold", events.map { ($0.id, $0.sold) }, to: &buffer)
        }
        Self.appendHeader("ticketd_event_stats_scrape_success", to: &buffer)
        buffer.append(contentsOf: "ticketd_event_stats_scrape_success \(events != nil && complete ? 1 : 0)\n".utf8)
        Self.appendHeader("ticketd_build_info", to: &buffer)
        buffer.append(contentsOf: #"ticketd_build_info{version=""#.utf8)
        Self.appendEscaped(version, quoted: true, to: &buffer)
        buffer.append(contentsOf: "\"} 1\n".utf8)
        return buffer
    }

    /// Copies the registry's output, inserting `# HELP` before each `# TYPE` line whose family has none.
    private static func appendWithHelp(_ emitted: [UInt8], to buffer: inout [UInt8]) {
        let typePrefix = Array("# TYPE ".utf8)
        var lastHelpName: ArraySlice<UInt8>? = nil
        for line in emitted.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if line.starts(with: "# HELP ".utf8) {
                lastHelpName = Self.name(in: line, afterPrefix: typePrefix.count)
            } else if line.starts(with: typePrefix) {
                let name = Self.name(in: line, afterPrefix: typePrefix.count)
                if lastHelpName != name {
                    Self.appendHelp(String(decoding: name, as: UTF8.self), to: &buffer)
                }
                lastHelpName = nil
            }
            buffer.append(contentsOf: line)
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    /// The metric name in a `# HELP name …` or `# TYPE name …` line.
    private static func name(in line: ArraySlice<UInt8>, afterPrefix prefixLength: Int) -> ArraySlice<UInt8> {
        let rest = line.dropFirst(prefixLength)
        return rest.prefix { $0 != UInt8(ascii: " ") }
    }

    private static func appendHelp(_ name: String, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: "# HELP \(name) ".utf8)
        Self.appendEscaped(MetricDescriptions.help(for: name), to: &buffer)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Appends `text` escaped as the text format asks: `\\` and `\n` in a help text, and `\"` too in a label
    /// value (`quoted`).
    private static func appendEscaped(_ text: String, quoted: Bool = false, to buffer: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): buffer.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\"") where quoted: buffer.append(contentsOf: #"\""#.utf8)
            default: buffer.append(byte)
            }
        }
    }

    private static func appendHeader(_ name: String, to buffer: inout [UInt8]) {
        Self.appendHelp(name, to: &buffer)
        buffer.append(contentsOf: "# TYPE \(name) gauge\n".utf8)
    }

    private static func appendGauge(_ name: String, _ samples: [(EventID, Int)], to buffer: inout [UInt8]) {
        Self.appendHeader(name, to: &buffer)
        for (event, value) in samples {
            // Event ids are [A-Za-z0-9_-] (EventID's alphabet), so the label value needs no escaping.
            buffer.append(contentsOf: "\(name){event=\"\(event.rawValue)\"} \(value)\n".utf8)
        }
    }
}
