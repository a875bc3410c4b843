import Instrumentation
import Synchronization

/// What an `InstrumentationContext` knows of the span it belongs to: the span's W3C ``TraceContext`` and, while a
/// recording span of this process lives, the span itself, for `Tracer.activeSpan(identifiedBy:)`.
///
/// One object under one context key, so that starting a span adds one entry to its context, not two. It holds the
/// span weakly: the span holds its context, and a strong reference back would keep both alive forever.
final class SpanLocation: Sendable {
    let traceContext: TraceContext
    private let reference = Mutex<WeakSpan>(WeakSpan())

    private struct WeakSpan {
        weak var span: OTLPSpan?
    }

    init(_ traceContext: TraceContext) {
        self.traceContext = traceContext
    }

    /// The span, while it is alive; `nil` for a remote parent or an unsampled span.
    var span: OTLPSpan? {
        get { self.reference.withLock { $0.span } }
        set { self.reference.withLock { $0.span = newValue } }
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
