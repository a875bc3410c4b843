import Tracing

/// How ticketd traces, read from OpenTelemetry's standard environment variables:
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `OTEL_EXPORTER_OTLP_ENDPOINT` | none: tracing off | the collector's base URL (`http://localhost:4318`); spans go to `/v1/traces` there |
/// | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | none | the full URL for spans, instead of the base URL |
/// | `OTEL_SDK_DISABLED` | `false` | `true` turns tracing off whatever the endpoint |
/// | `OTEL_TRACES_EXPORTER` | `otlp` | `none` turns tracing off |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` | `http/protobuf` | the only one spoken |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS` | none | `key=value,…` (percent-encoded values) sent with every export |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT` | 10000 | milliseconds one export may take |
/// | `OTEL_SERVICE_NAME` | the caller's | the resource's `service.name` |
/// | `OTEL_RESOURCE_ATTRIBUTES` | none | `key=value,…`, more resource attributes |
/// | `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` | `parentbased_always_on` | which traces record (``TraceSampler``) |
/// | `OTEL_BSP_SCHEDULE_DELAY` | 5000 | milliseconds between exports when no batch fills |
/// | `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | 2048, 512 | spans queued at most, spans in one export (at most the queue's) |
///
/// The endpoint is plain `http://`: spans go to a collector or agent nearby, not over TLS. Propagation is W3C
/// Trace Context (`traceparent`, `tracestate`).
public struct OTLPTracingConfiguration: Sendable {
    /// Where spans are posted.
    public var endpoint: OTLPEndpoint
    /// Header fields sent with every export.
    public var headers: [(name: String, value: String)]
    /// How long one export may take.
    public var timeout: Duration
    /// The resource every span belongs to, `service.name` first.
    public var resource: [(key: String, value: SpanAttribute)]
    /// Which new spans record.
    public var sampler: TraceSampler
    /// The time between exports when no batch fills.
    public var scheduleDelay: Duration
    /// Spans queued at most; more are dropped.
    public var maxQueueSize: Int
    /// Spans in one export.
    public var maxExportBatchSize: Int

    /// The configuration `environment` describes, or `nil` when it leaves tracing off (no endpoint, or
    /// `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER=none`).
    /// - Parameter serviceName: `service.name` unless `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` names one.
    /// - Throws: ``OTLPConfigurationError`` naming the first variable with a value that cannot be used.
    public init?(environment: [String: String], serviceName: String) throws(OTLPConfigurationError) {
        let reader = EnvironmentReader(environment: environment)
        if reader["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return nil }
        switch reader["OTEL_TRACES_EXPORTER"]?.lowercased() {
        case nil, "otlp": break
        case "none": return nil
        case .some: throw reader.error("OTEL_TRACES_EXPORTER", "is neither otlp nor none")
        }
        if let url = reader["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] {
            guard let endpoint = OTLPEndpoint(url: url) else { throw reader.error("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", Self.urlRule) }
            self.endpoint = endpoint
        } else if let url = reader["OTEL_EXPORTER_OTLP_ENDPOINT"] {
            guard let endpoint = OTLPEndpoint(url: url) else { throw reader.error("OTEL_EXPORTER_OTLP_ENDPOINT", Self.urlRule) }
            self.endpoint = endpoint.appending(path: "/v1/traces")
        } else {
            return nil
        }
        if let (variable, value) = reader.signal("PROTOCOL"), value != "http/protobuf" {
            throw reader.error(variable, "is not http/protobuf, the one protocol ticketd's exporter speaks")
        }
        if let (variable, value) = reader.signal("COMPRESSION"), value.lowercased() != "none" {
            throw reader.error(variable, "is not none: ticketd's exporter does not compress")
        }
        if let (variable, value) = reader.signal("HEADERS") {
            guard let headers = Self.pairs(value) else { throw reader.error(variable, Self.pairsRule) }
            if let header = headers.first(where: { !Self.isSendable(header: $0.key, value: $0.value) }) {
                throw reader.error(variable, "has a header ticketd cannot send, \(header.key): \(Self.headersRule)")
            }
            self.headers = headers.map { (name: $0.key, value: $0.value) }
        } else {
            self.headers = []
        }
        // At least 1 ms: with 0, every export failed at once.
        self.timeout = .milliseconds(try reader.number(reader.signal("TIMEOUT")?.variable, default: 10_000, minimum: 1))

        var resource: [(key: String, value: SpanAttribute)] = []
        if let value = reader["OTEL_RESOURCE_ATTRIBUTES"] {
            guard let pairs = Self.pairs(value) else { throw reader.error("OTEL_RESOURCE_ATTRIBUTES", Self.pairsRule) }
            // OTLP wants each key once: a repeated key keeps its last value.
            for (key, value) in pairs {
                resource.removeAll { $0.key == key }
                resource.append((key: key, value: .string(value)))
            }
        }
        let named = resource.first { $0.key == "service.name" }?.value
        resource.removeAll { $0.key == "service.name" }
        resource.insert((key: "service.name", value: reader["OTEL_SERVICE_NAME"].map { .string($0) } ?? named ?? .string(serviceName)), at: 0)
        for (key, value) in [("telemetry.sdk.name", "ticketd"), ("telemetry.sdk.language", "swift")]
        where !resource.contains(where: { $0.key == key }) {
            resource.append((key: key, value: .string(value)))
        }
        self.resource = resource

        let samplerName = reader["OTEL_TRACES_SAMPLER"] ?? "parentbased_always_on"
        let samplerArgument = reader["OTEL_TRACES_SAMPLER_ARG"]
        guard let sampler = TraceSampler(name: samplerName, argument: samplerArgument) else {
            throw reader.error(
                "OTEL_TRACES_SAMPLER",
                (samplerArgument.map { "with OTEL_TRACES_SAMPLER_ARG=\($0) " } ?? "")
                    + "names no sampler (always_on, always_off, traceidratio and their parentbased_ forms, a ratio from 0 to 1)"
            )
        }
        self.sampler = sampler
        // At least 1 ms: with 0, the schedule woke the exporter without pause and took a core.
        self.scheduleDelay = .milliseconds(try reader.number("OTEL_BSP_SCHEDULE_DELAY", default: 5_000, minimum: 1))
        self.maxQueueSize = try reader.number("OTEL_BSP_MAX_QUEUE_SIZE", default: 2_048, minimum: 1)
        // An export takes from the queue, so OpenTelemetry keeps a batch within it: a batch size set above the queue
        // is refused, and the default one is lowered to a smaller queue.
        let batchSize = try reader.number("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", default: 512, minimum: 1)
        if reader["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] != nil, batchSize > self.maxQueueSize {
            throw reader.error(
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                "is more than OTEL_BSP_MAX_QUEUE_SIZE (\(self.maxQueueSize)): an export takes from the queue"
            )
        }
        self.maxExportBatchSize = min(batchSize, self.maxQueueSize)
    }

    private static let urlRule = "is not an http:// URL without spaces or control characters (ticketd exports over plain HTTP, to a collector nearby)"
    private static let pairsRule = "is not a list of key=value pairs separated by commas"
    private static let headersRule =
        "a name must be an HTTP token other than Host, Content-Type, Content-Length, Transfer-Encoding and Connection "
        + "(the exporter sets those), and a value must have no control characters"

    /// The header fields the exporter writes itself: one given again would make a request with two of them.
    private static let exporterHeaders: Set<String> = ["host", "content-type", "content-length", "transfer-encoding", "connection"]

    /// Whether `name: value` can go on an export: `name` an RFC 9110 token the exporter does not set itself, `value`
    /// without control characters (a CR or LF would end the header early and put the rest in the request).
    static func isSendable(header name: String, value: String) -> Bool {
        let tokenSymbols = Set("!#$%&'*+-.^_`|~".utf8)
        let isToken = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || tokenSymbols.contains(byte)
        }
        let hasControl = value.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }
        return !name.isEmpty && isToken && !Self.exporterHeaders.contains(name.lowercased()) && !hasControl
    }

    /// `key=value,key=value`, keys and values trimmed and percent-decoded; `nil` when a pair has no `=` or no key.
    static func pairs(_ list: String) -> [(key: String, value: String)]? {
        var pairs: [(key: String, value: String)] = []
        for item in list.split(separator: ",") where !item.allSatisfy(\.isWhitespace) {
            guard let equals = item.firstIndex(of: "="),
                let key = Self.percentDecoded(item[..<equals]), !key.isEmpty,
                let value = Self.percentDecoded(item[item.index(after: equals)...])
            else { return nil }
            pairs.append((key: key, value: value))
        }
        return pairs
    }

    /// `text` trimmed, with `%XX` escapes decoded; `nil` when an escape is broken or the bytes are not UTF-8.
    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var input = text.trimmingWhitespace().utf8[...]
        while let byte = input.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard input.count >= 2, let value = UInt64(hexDigits: Substring(input.prefix(2))) else { return nil }
            bytes.append(UInt8(value))
            input = input.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// The variables as the configuration reads them: unset and empty are alike, and an error names the variable.
private struct EnvironmentReader {
    let environment: [String: String]

    subscript(variable: String) -> String? {
        guard let value = self.environment[variable]?.trimmingWhitespace(), !value.isEmpty else { return nil }
        return String(value)
    }

    /// The traces-specific `OTEL_EXPORTER_OTLP_TRACES_<name>`, or else the general `OTEL_EXPORTER_OTLP_<name>`.
    func signal(_ name: String) -> (variable: String, value: String)? {
        for variable in ["OTEL_EXPORTER_OTLP_TRACES_\(name)", "OTEL_EXPORTER_OTLP_\(name)"] {
            if let value = self[variable] { return (variable, value) }
        }
        return nil
    }

    /// A whole number of at least `minimum` from `variable`, or `fallback` when it is unset.
    func number(_ variable: String?, default fallback: Int, minimum: Int = 0) throws(OTLPConfigurationError) -> Int {
        guard let variable, let text = self[variable] else { return fallback }
        guard let value = Int(text), value >= minimum else { throw self.error(variable, "is not a whole number of at least \(minimum)") }
        return value
    }

    func error(_ variable: String, _ problem: String) -> OTLPConfigurationError {
        OTLPConfigurationError(variable: variable, value: self[variable] ?? "", problem: problem)
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace.
    func trimmingWhitespace() -> SubSequence {
        let start = self.firstIndex { !$0.isWhitespace } ?? self.endIndex
        let end = self.lastIndex { !$0.isWhitespace }.map { self.index(after: $0) } ?? start
        return self[start..<end]
    }
}
