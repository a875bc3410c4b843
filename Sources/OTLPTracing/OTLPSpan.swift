import Instrumentation
import Synchronization
import Tracing

/// A span of ``OTLPTracer``. A sampled one records its name, attributes, events, links and status under a lock and,
/// when it ends, has the tracer's ``SpanBuffer`` encode them once; an unsampled one only carries its context, so
/// that the work under it continues the trace unsampled, and ignores everything else.
public final class OTLPSpan: Span {
    /// Whether the span records: its trace is sampled.
    public let isRecording: Bool
    private let traceContext: TraceContext
    private let parent: InstrumentationContext
    private let kind: SpanKind
    private let parentSpanID: SpanID?
    private let startNanoseconds: UInt64
    private let state: Mutex<State>
    private let buffer: SpanBuffer

    /// What a recording span gathers until it ends, and the span's context once asked for.
    private struct State {
        var name: String
        /// None at first, and no storage: callers that care set them whole (`updateAttributes` copies them all).
        var attributes = SpanAttributes()
        var events: [SpanEvent] = []
        var links: [SpanLink] = []
        var status: SpanStatus?
        var ended = false
        var context: InstrumentationContext?
        /// Where ``context`` finds the span, until it ends.
        var location: SpanLocation?
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
        self.traceContext = traceContext
        self.parent = parent
        self.kind = kind
        self.parentSpanID = parentSpanID
        self.startNanoseconds = startNanoseconds
        self.state = Mutex(State(name: name))
        self.buffer = buffer
    }

    /// The span's context: its parent's, with this span's ``TraceContext`` and, until the span ends, a way back to it.
    ///
    /// Made on first use: a span whose context nobody asks for, such as a purchase's Redis span, which has no child,
    /// costs no copy of its parent's context and no ``SpanLocation``, neither of which its wait would hold.
    public var context: InstrumentationContext {
        self.state.withLock { state in
            if let context = state.context { return context }
            let location = SpanLocation(self.traceContext)
            if self.isRecording, !state.ended { location.span = self }
            var context = self.parent
            context.spanLocation = location
            state.context = context
            state.location = location
            return context
        }
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
    ///
    /// The span is queued under its own lock, straight from its state: built inside the lock and queued outside it,
    /// the record of everything the span gathered was copied once more on the way out (a retain of each of its
    /// strings and collections).
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        guard self.isRecording else { return }
        let end = instant().nanosecondsSinceEpoch
        // The location to let go of the span; none at all when the span had already ended.
        let location: SpanLocation?? = self.state.withLock { state in
            guard !state.ended else { return nil }
            state.ended = true
            self.buffer.append(
                FinishedSpan(
                    name: state.name,
                    kind: self.kind,
                    context: self.traceContext,
                    parentSpanID: self.parentSpanID,
                    startNanoseconds: self.startNanoseconds,
                    endNanoseconds: end,
                    attributes: state.attributes,
                    events: state.events,
                    links: state.links,
                    status: state.status
                )
            )
            return state.location
        }
        guard let location else { return }
        location?.span = nil
    }
}
