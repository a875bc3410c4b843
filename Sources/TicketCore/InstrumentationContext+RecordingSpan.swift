import Tracing

extension InstrumentationContext {
    /// The current context when the span it names records (tracing is on and the trace is sampled), to start child
    /// spans in; `nil` otherwise, and then no child span is started at all.
    ///
    /// A tracer starts even a dropped span: it draws a span id, copies the context and allocates the span before it
    /// can say that nothing will be recorded, and with a 1 % sampler that is 99 purchases in 100. A context marked
    /// by ``marked(recording:)`` (every request's, by the HTTP tracing middleware) answers at once; any other is
    /// looked up in the tracer (`InstrumentationSystem.tracer` takes a lock). With tracing off there is no current context
    /// and it costs nothing.
    public static var recordingParent: InstrumentationContext? {
        guard let context = InstrumentationContext.current else { return nil }
        if let records = context[SpanRecordsKey.self] { return records ? context : nil }
        guard InstrumentationSystem.tracer.activeSpan(identifiedBy: context)?.isRecording == true else { return nil }
        return context
    }

    /// This context, marked with whether the span it names records, for ``recordingParent`` to read without asking
    /// the tracer. Child spans started in it inherit the mark, which holds for samplers that follow the parent's
    /// decision, as ticketd's do.
    public func marked(recording: Bool) -> InstrumentationContext {
        var context = self
        context[SpanRecordsKey.self] = recording
        return context
    }

    private enum SpanRecordsKey: ServiceContextKey {
        typealias Value = Bool
    }
}
