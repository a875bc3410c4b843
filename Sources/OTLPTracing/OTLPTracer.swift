import Instrumentation
import Tracing

/// ticketd's tracer: W3C Trace Context propagation, OpenTelemetry's samplers, and spans queued for an OTLP/HTTP
/// exporter (``OTLPSpanExporter``).
///
/// It does per span what a span needs and no more: ids from a lock-free generator, the span's state behind one
/// lock, and on end one append to a bounded queue. Encoding and sending happen in the exporter, a batch at a time.
public struct OTLPTracer: Tracer {
    public typealias Span = OTLPSpan

    /// Decides which new spans record.
    public let sampler: TraceSampler
    let buffer: SpanBuffer
    private let identifiers = RandomIdentifiers()

    /// A tracer sampling and queueing as `configuration` says; run an ``OTLPSpanExporter`` of it to send its spans.
    public init(configuration: OTLPTracingConfiguration) {
        self.init(
            sampler: configuration.sampler,
            buffer: SpanBuffer(capacity: configuration.maxQueueSize, batchSize: configuration.maxExportBatchSize)
        )
    }

    init(sampler: TraceSampler, buffer: SpanBuffer) {
        self.sampler = sampler
        self.buffer = buffer
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> OTLPSpan {
        let parent = context()
        let parentTrace = parent.traceContext
        let traceID = parentTrace?.traceID ?? self.identifiers.traceID()
        let traceContext = TraceContext(
            traceID: traceID,
            spanID: self.identifiers.spanID(),
            sampled: self.sampler.samples(traceID: traceID, parent: parentTrace),
            traceState: parentTrace?.traceState
        )
        return OTLPSpan(
            name: operationName,
            kind: kind,
            parent: parent,
            parentSpanID: parentTrace?.spanID,
            traceContext: traceContext,
            startNanoseconds: instant().nanosecondsSinceEpoch,
            buffer: self.buffer
        )
    }

    /// The recording span `context` belongs to, while it is alive.
    public func activeSpan(identifiedBy context: InstrumentationContext) -> OTLPSpan? {
        context.spanLocation?.span
    }

    /// Wakes the exporter to send what is queued.
    public func forceFlush() {
        self.buffer.wake()
    }

    /// Reads a `traceparent` (and its `tracestate`) into `context`; an invalid one is ignored, as W3C asks.
    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier,
        into context: inout InstrumentationContext,
        using extractor: Extract
    ) where Extract.Carrier == Carrier {
        guard let traceparent = extractor.extract(key: "traceparent", from: carrier),
            let remote = TraceContext(traceparent: traceparent, traceState: extractor.extract(key: "tracestate", from: carrier))
        else { return }
        context.traceContext = remote
    }

    /// Writes the `traceparent` (and `tracestate`) of `context`'s span into `carrier`, when it belongs to one.
    public func inject<Carrier, Inject: Injector>(
        _ context: InstrumentationContext,
        into carrier: inout Carrier,
        using injector: Inject
    ) where Inject.Carrier == Carrier {
        guard let traceContext = context.traceContext else { return }
        injector.inject(traceContext.traceparent, forKey: "traceparent", into: &carrier)
        if let traceState = traceContext.traceState { injector.inject(traceState, forKey: "tracestate", into: &carrier) }
    }
}
