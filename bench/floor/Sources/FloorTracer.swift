import Instrumentation
import Synchronization
import Tracing

/// The least a recording tracer does per span: a span object with its attributes behind a lock and its id in the
/// context. An ended span is counted and dropped: nothing is encoded or exported.
struct FloorTracer: Tracer {
    /// Spans ended so far.
    static let ended = Atomic<Int>(0)

    func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> FloorSpan {
        var context = context()
        context[FloorSpanIDKey.self] = UInt64.random(in: 1 ... .max)
        return FloorSpan(name: operationName, context: context, startNanoseconds: instant().nanosecondsSinceEpoch)
    }

    func forceFlush() {}

    func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier,
        into context: inout InstrumentationContext,
        using extractor: Extract
    ) where Extract.Carrier == Carrier {
        _ = extractor.extract(key: "traceparent", from: carrier)
    }

    func inject<Carrier, Inject: Injector>(
        _ context: InstrumentationContext,
        into carrier: inout Carrier,
        using injector: Inject
    ) where Inject.Carrier == Carrier {}
}

/// A span's id in its context.
private enum FloorSpanIDKey: InstrumentationContextKey {
    typealias Value = UInt64
}

/// A span of ``FloorTracer``.
final class FloorSpan: Span {
    let context: InstrumentationContext
    let isRecording = true
    private let state: Mutex<State>

    private struct State {
        var name: String
        var attributes = SpanAttributes()
        var startNanoseconds: UInt64
        var endNanoseconds: UInt64?
    }

    init(name: String, context: InstrumentationContext, startNanoseconds: UInt64) {
        self.context = context
        self.state = Mutex(State(name: name, startNanoseconds: startNanoseconds))
    }

    var operationName: String {
        get { self.state.withLock { $0.name } }
        set { self.state.withLock { $0.name = newValue } }
    }

    var attributes: SpanAttributes {
        get { self.state.withLock { $0.attributes } }
        set { self.state.withLock { $0.attributes = newValue } }
    }

    func setStatus(_ status: SpanStatus) {}

    func addEvent(_ event: SpanEvent) {}

    func recordError<Instant: TracerInstant>(
        _ error: any Error,
        attributes: SpanAttributes,
        at instant: @autoclosure () -> Instant
    ) {}

    func addLink(_ link: SpanLink) {}

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let end = instant().nanosecondsSinceEpoch
        self.state.withLock { $0.endNanoseconds = end }
        FloorTracer.ended.add(1, ordering: .relaxed)
    }
}
