import Instrumentation
import Synchronization
import Tracing

/// A span of ``OTLPTracer``. A sampled one records its name, attributes, events, links and status under a lock and,
/// when it ends, hands them to the tracer's ``SpanBuffer`` once; an unsampled one only carries its context, so
/// that the work under it continues the trace unsampled, and ignores everything else.
public final class OTLPSpan: Span {
    /// The span's context: its parent's, with this span's ``TraceContext`` and a way back to this span.
    public let context: InstrumentationContext
    /// Whether the span records: its trace is sampled.
    public let isRecording: Bool
    private let kind: SpanKind
    private let parentSpanID: SpanID?
    private let startNanoseconds: UInt64
    private let state: Mutex<State>
    private let buffer: SpanBuffer
    /// Where the span's context finds it, until it ends.
    private let location: SpanLocation

    /// What a recording span gathers until it ends.
    private struct State {
        var name: String
        /// None at first, and no storage: callers that care set them whole (`updateAttributes` copies them all).
        var attributes = SpanAttributes()
        var events: [SpanEvent] = []
        var links: [SpanLink] = []
        var status: SpanStatus?
        var ended = false
    }

    init(
        name: String,
        kind: SpanKind,
        parent: InstrumentationContext,
        parentSpanID: SpanID?,
        traceContext: TraceContext,
        startNanoseconds: UInt64,
        buffer: SpanBuffer
    ) {
        self.isRecording = traceContext.sampled
        self.kind = kind
        self.parentSpanID = parentSpanID
        self.startNanoseconds = startNanoseconds
        self.state = Mutex(State(name: name))
        self.buffer = buffer
        self.location = SpanLocation(traceContext)
        var context = parent
        context.spanLocation = self.location
        self.context = context
        if traceContext.sampled { self.location.span = self }
    }

    public var operationName: String {
        get { self.state.withLock { $0.name } }
        set { self.update { $0.name = newValue } }
    }

    public var attributes: SpanAttributes {
        get { self.state.withLock { $0.attributes } }
        set { self.update { $0.attributes = newValue } }
    }

    public func setStatus(_ status: SpanStatus) {
        self.update { state in
            // OpenTelemetry: once `ok`, a span's status stays.
            if state.status?.code != .ok { state.status = status }
        }
    }

    public func addEvent(_ event: SpanEvent) {
        self.update { $0.events.append(event) }
    }

    /// Records `error` as an OpenTelemetry `exception` event with its type and description.
    public func recordError<Instant: TracerInstant>(
        _ error: any Error,
        attributes: SpanAttributes,
        at instant: @autoclosure () -> Instant
    ) {
        guard self.isRecording else { return }
        var attributes = attributes
        attributes["exception.type"] = String(reflecting: type(of: error))
        attributes["exception.message"] = String(describing: error)
        self.addEvent(SpanEvent(name: "exception", at: instant(), attributes: attributes))
    }

    public func addLink(_ link: SpanLink) {
        guard link.context.traceContext != nil else { return }
        self.update { $0.links.append(link) }
    }

    /// Applies `change` to the state of a recording span that has not ended; does nothing otherwise.
    private func update(_ change: (inout State) -> Void) {
        guard self.isRecording else { return }
        self.state.withLock { state in
            if !state.ended { change(&state) }
        }
    }

    /// Ends the span; the first call of a recording span queues it for export and lets go of its context's reference
    /// to it (``SpanLocation``), any later one does nothing.
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        guard self.isRecording, let traceContext = self.context.traceContext else { return }
        let end = instant().nanosecondsSinceEpoch
        let finished: FinishedSpan? = self.state.withLock { state in
            guard !state.ended else { return nil }
            state.ended = true
            return FinishedSpan(
                name: state.name,
                kind: self.kind,
                context: traceContext,
                parentSpanID: self.parentSpanID,
                startNanoseconds: self.startNanoseconds,
                endNanoseconds: end,
                attributes: state.attributes,
                events: state.events,
                links: state.links,
                status: state.status
            )
        }
        guard let finished else { return }
        self.location.span = nil
        self.buffer.append(finished)
    }
}
