import Instrumentation
import Synchronization

/// What an `InstrumentationContext` knows of the span it belongs to: the span's W3C ``TraceContext`` and, while a
/// recording span of this process runs, the span itself, for `Tracer.activeSpan(identifiedBy:)`.
///
/// One object under one context key, so that a span's context adds one entry to its parent's, not two; a span makes
/// it with its context, when that is first asked for (``OTLPSpan/context``). It holds the
/// span until the span ends, when the span lets go (``OTLPSpan/end(at:)``): the span holds its context, so a
/// reference back makes a cycle that only the end breaks. A weak reference would need no end, but it gave every
/// recording span a side table, one more allocation and atomic reference counts on each access; a span that never
/// ends is a bug the tracer cannot report either way, since it is never exported.
final class SpanLocation: Sendable {
    let traceContext: TraceContext
    private let reference = Mutex<OTLPSpan?>(nil)

    init(_ traceContext: TraceContext) {
        self.traceContext = traceContext
    }

    /// The span, until it ends; `nil` for a remote parent or an unsampled span.
    var span: OTLPSpan? {
        get { self.reference.withLock { $0 } }
        set { self.reference.withLock { $0 = newValue } }
    }
}

extension InstrumentationContext {
    /// The trace context of the span this context belongs to, if any.
    public var traceContext: TraceContext? {
        get { self.spanLocation?.traceContext }
        set { self.spanLocation = newValue.map(SpanLocation.init) }
    }

    /// Where the span this context belongs to is, if it belongs to one.
    var spanLocation: SpanLocation? {
        get { self[SpanLocationKey.self] }
        set { self[SpanLocationKey.self] = newValue }
    }
}

private enum SpanLocationKey: InstrumentationContextKey {
    typealias Value = SpanLocation
}
