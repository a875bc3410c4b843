import Tracing

extension InstrumentationContext {
    /// The current context when the span it names records (tracing is on and the trace is sampled), to start child
    /// spans in; `nil` otherwise, and then no child span is started at all.
    ///
    /// A tracer starts even a dropped span in full: swift-otel draws a span id, copies the context and allocates the
    /// span before it can say that nothing will be recorded, and with a 1 % sampler that is 99 purchases in 100.
    /// Asking the tracer for the current span first costs one lookup; with tracing off there is no current context
    /// and it costs nothing. A span of its own, outside any request (a ledger scan's render), is not affected.
    static var recordingParent: InstrumentationContext? {
        guard let context = InstrumentationContext.current,
            InstrumentationSystem.tracer.activeSpan(identifiedBy: context)?.isRecording == true
        else { return nil }
        return context
    }
}
