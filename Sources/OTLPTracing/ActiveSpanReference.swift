import Instrumentation
import Synchronization

/// The way from a recording span's context back to the span, for `Tracer.activeSpan(identifiedBy:)`. It holds the
/// span weakly: the span holds its context, and a strong reference back would keep both alive forever.
final class ActiveSpanReference: Sendable {
    private let reference = Mutex<WeakSpan>(WeakSpan())

    private struct WeakSpan {
        weak var span: OTLPSpan?
    }

    /// The span, while it is alive.
    var span: OTLPSpan? {
        get { self.reference.withLock { $0.span } }
        set { self.reference.withLock { $0.span = newValue } }
    }
}

extension InstrumentationContext {
    /// The reference to the recording span this context belongs to, if any.
    var activeSpan: ActiveSpanReference? {
        get { self[ActiveSpanKey.self] }
        set { self[ActiveSpanKey.self] = newValue }
    }
}

private enum ActiveSpanKey: InstrumentationContextKey {
    typealias Value = ActiveSpanReference
}
