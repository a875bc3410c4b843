import Tracing

extension InstrumentationContext {
    /// The current context when the span it names records (tracing is on and the trace is sampled), to start child
    /// spans in; `nil` otherwise, and then no child span is started at all.
    ///
    /// A tracer starts even a dropped span: it draws a span id, copies the context and allocates the span before it
    /// can say that nothing will be recorded, and with a 1 % sampler that is 99 purchases in 100. A context marked
    /// by ``marked(recording:traceparent:)`` (every request's, by the HTTP tracing middleware) answers at once; any
    /// other is looked up in the tracer (`InstrumentationSystem.tracer` takes a lock). With tracing off there is no
    /// current context and it costs nothing.
    public static var recordingParent: InstrumentationContext? {
        guard let context = InstrumentationContext.current else { return nil }
        if let mark = context[SpanRecordsKey.self] { return mark.records ? context : nil }
        guard InstrumentationSystem.tracer.activeSpan(identifiedBy: context)?.isRecording == true else { return nil }
        return context
    }

    /// The W3C `traceparent` of the current context's span, when a mark (``marked(recording:traceparent:)``) gave
    /// one: for a log line to name its request's trace without asking the tracer.
    public static var markedTraceparent: String? {
        InstrumentationContext.current?[SpanRecordsKey.self]?.traceparent
    }

    /// This context, marked with whether the span it names records and, when it does, that span's `traceparent`,
    /// for ``recordingParent`` and ``markedTraceparent`` to read without asking the tracer. Child spans started in
    /// it inherit the mark, which holds for samplers that follow the parent's decision, as ticketd's do.
    public func marked(recording: Bool, traceparent: String? = nil) -> InstrumentationContext {
        var context = self
        context[SpanRecordsKey.self] = SpanRecordsMark(records: recording, traceparent: traceparent)
        return context
    }

    /// One entry for both, so that marking a request's context copies its entries once.
    private struct SpanRecordsMark: Sendable {
        var records: Bool
        var traceparent: String?
    }

    private enum SpanRecordsKey: ServiceContextKey {
        typealias Value = SpanRecordsMark
    }
}
