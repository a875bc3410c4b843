import Configuration
import Foundation
import Logging
import OTel
import ServiceLifecycle
import TicketHTTP

/// Distributed tracing over OTLP/HTTP, off unless an OTLP endpoint is configured.
///
/// swift-otel reads the standard `OTEL_*` variables itself; ticketd hands it those set in the environment or in
/// `.env` (the environment wins, as for every other key), with ticketd's own defaults underneath:
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `OTEL_EXPORTER_OTLP_ENDPOINT` | none: tracing off | the collector's base URL (`http://localhost:4318`); spans go to `/v1/traces` there |
/// | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | none | the full URL for spans, instead of the base URL |
/// | `OTEL_SDK_DISABLED` | `false` | `true` turns tracing off whatever the endpoint |
/// | `OTEL_SERVICE_NAME` | `ticketd` | the service name on every span |
/// | `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` | `parentbased_always_on` | which traces to keep, e.g. `parentbased_traceidratio` and `0.01` (decided by ticketd's ``RootSampler`` before the tracer is asked) |
/// | `OTEL_BSP_SCHEDULE_DELAY`, `…_MAX_EXPORT_BATCH_SIZE`, `…_MAX_QUEUE_SIZE`, `…_EXPORT_TIMEOUT` | 5 s, 512, 2048, 30 s | span batching |
///
/// and the rest of the OTLP exporter's variables (`OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`, `…_TIMEOUT`,
/// `…_COMPRESSION`, `…_CERTIFICATE`, …) and `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_PROPAGATORS`, `OTEL_LOG_LEVEL`.
/// Only traces are exported: metrics stay with Prometheus and logs with the JSON log handler.
enum TracingSetup {
    /// The `OTEL_*` variables passed on to swift-otel when set.
    static let variables: [String] = {
        let exporter = ["ENDPOINT", "PROTOCOL", "HEADERS", "TIMEOUT", "COMPRESSION", "CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE"]
        return [
            "OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_PROPAGATORS", "OTEL_LOG_LEVEL",
            "OTEL_TRACES_EXPORTER", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_BSP_SCHEDULE_DELAY",
            "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
        ] + exporter.flatMap { ["OTEL_EXPORTER_OTLP_\($0)", "OTEL_EXPORTER_OTLP_TRACES_\($0)"] }
    }()

    /// The `OTEL_*` variables that are set, from the environment or `.env`.
    static func environment(_ reader: ConfigReader) -> [String: String] {
        var environment: [String: String] = [:]
        for variable in Self.variables {
            // The environment provider's key for `OTEL_BSP_SCHEDULE_DELAY` is `otel.bsp.schedule.delay`.
            let key = ConfigKey(variable.lowercased().replacingOccurrences(of: "_", with: "."))
            if let value = reader.string(forKey: key, isSecret: true), !value.isEmpty { environment[variable] = value }
        }
        return environment
    }

    /// Whether these variables turn tracing on: an OTLP endpoint is set and the SDK is not disabled.
    static func isEnabled(_ environment: [String: String]) -> Bool {
        guard environment["OTEL_SDK_DISABLED"]?.lowercased() != "true" else { return false }
        return environment["OTEL_EXPORTER_OTLP_ENDPOINT"] != nil || environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != nil
    }

    /// Takes the root decision of a `parentbased_traceidratio` sampler out of swift-otel: that sampler becomes
    /// `parentbased_always_on` (a parent's decision is followed as before) and the ratio a ``RootSampler`` that the
    /// HTTP tracing middleware asks first, so requests it leaves out never reach the tracer.
    /// - Returns: the root sampler, or `nil` when the sampler is another one (or its ratio unreadable, for
    ///   swift-otel to report).
    static func takeRootSampling(from environment: inout [String: String]) -> RootSampler? {
        guard environment["OTEL_TRACES_SAMPLER"]?.lowercased() == "parentbased_traceidratio" else { return nil }
        let ratio: Double
        if let argument = environment["OTEL_TRACES_SAMPLER_ARG"] {
            guard let value = Double(argument), (0...1).contains(value) else { return nil }
            ratio = value
        } else {
            ratio = 1  // OpenTelemetry's default ratio
        }
        environment["OTEL_TRACES_SAMPLER"] = "parentbased_always_on"
        environment["OTEL_TRACES_SAMPLER_ARG"] = nil
        return RootSampler(ratio: ratio)
    }

    /// Bootstraps the process's tracer from `reader` when tracing is on; call once, after logging.
    /// - Returns: The exporter's service, to run beside the server (it exports spans in the background and flushes
    ///   them on shutdown), and the root sampler for the HTTP middleware (see ``takeRootSampling(from:)``); or `nil`
    ///   when tracing is off and the no-op tracer stays in place.
    /// - Throws: When swift-otel rejects the configuration (an invalid `OTEL_*` value).
    static func bootstrap(_ reader: ConfigReader, logger: Logger) throws -> (service: any Service, rootSampler: RootSampler?)? {
        var environment = Self.environment(reader)
        guard Self.isEnabled(environment) else { return nil }
        let rootSampler = Self.takeRootSampling(from: &environment)
        var configuration = OTel.Configuration.default
        configuration.serviceName = "ticketd"
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        let service = try OTel.bootstrap(configuration: configuration, environment: environment)
        logger.info(
            "tracing on: exporting spans over OTLP/HTTP",
            metadata: [
                "endpoint": .string(environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? ""),
                "root_sample_ratio": .string(rootSampler.map { "\($0.ratio)" } ?? "decided by the tracer"),
            ]
        )
        return (service, rootSampler)
    }
}
