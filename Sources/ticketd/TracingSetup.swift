import Configuration
import Foundation
import Logging
import OTLPTracing
import ServiceLifecycle
import TicketHTTP
import Tracing

/// Distributed tracing over OTLP/HTTP, off unless an OTLP endpoint is configured.
///
/// The `OTEL_*` variables (``OTLPTracingConfiguration`` lists them and their defaults) are read from the environment
/// and `.env` (the environment wins, as for every other key); the service name defaults to `ticketd`. Only traces are
/// exported: metrics stay with Prometheus and logs with the JSON log handler.
enum TracingSetup {
    /// The `OTEL_*` variables ticketd reads.
    static let variables: [String] = {
        let exporter = ["ENDPOINT", "PROTOCOL", "HEADERS", "TIMEOUT", "COMPRESSION"]
        return [
            "OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_EXPORTER", "OTEL_TRACES_SAMPLER",
            "OTEL_TRACES_SAMPLER_ARG", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
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

    /// Takes the root decision of a `parentbased_traceidratio` sampler out of the tracer: the tracer's sampler
    /// becomes `parentbased_always_on` (a parent's decision is followed as before) and the ratio a ``RootSampler``
    /// that the HTTP tracing middleware asks first, so that requests it leaves out start no span at all.
    /// - Returns: the root sampler, or `nil` when the sampler is another one (or its ratio unreadable, for the
    ///   configuration to report).
    static func takeRootSampling(from environment: inout [String: String]) -> RootSampler? {
        guard let name = environment["OTEL_TRACES_SAMPLER"],
            let sampler = TraceSampler(name: name, argument: environment["OTEL_TRACES_SAMPLER_ARG"]),
            sampler.followsParent, case .traceIDRatio(let ratio) = sampler.rule
        else { return nil }
        environment["OTEL_TRACES_SAMPLER"] = "parentbased_always_on"
        environment["OTEL_TRACES_SAMPLER_ARG"] = nil
        return RootSampler(ratio: ratio)
    }

    /// Bootstraps the process's tracer from `reader` when tracing is on; call once, after logging.
    /// - Returns: The exporter, to run beside the server (it exports spans in the background and flushes them on
    ///   shutdown), and the root sampler for the HTTP middleware (see ``takeRootSampling(from:)``); or `nil` when
    ///   tracing is off and the no-op tracer stays in place.
    /// - Throws: ``OTLPConfigurationError`` for an `OTEL_*` value that cannot be used.
    static func bootstrap(_ reader: ConfigReader, logger: Logger) throws -> (service: any Service, rootSampler: RootSampler?)? {
        var environment = Self.environment(reader)
        if let disabled = environment["OTEL_SDK_DISABLED"], !["true", "false"].contains(disabled.lowercased()) {
            // OpenTelemetry reads any value but `true` as false, and asks for a warning when it is not `false`.
            logger.warning("OTEL_SDK_DISABLED is neither true nor false: read as false", metadata: ["value": "\(disabled)"])
        }
        let rootSampler = Self.takeRootSampling(from: &environment)
        guard let configuration = try OTLPTracingConfiguration(environment: environment, serviceName: "ticketd") else { return nil }
        let tracer = OTLPTracer(configuration: configuration)
        InstrumentationSystem.bootstrap(tracer)
        logger.info(
            "tracing on: exporting spans over OTLP/HTTP",
            metadata: [
                "endpoint": "\(configuration.endpoint)",
                "root_sample_ratio": .string(rootSampler.map { "\($0.ratio)" } ?? "decided by the tracer"),
            ]
        )
        return (OTLPSpanExporter(tracer: tracer, configuration: configuration, logger: logger), rootSampler)
    }
}
