import Tracing

/// A span that has ended: everything of it that is encoded for the collector (``SpanBuffer/append(_:)``).
struct FinishedSpan: Sendable {
    var name: String
    var kind: SpanKind
    var context: TraceContext
    var parentSpanID: SpanID?
    var startNanoseconds: UInt64
    var endNanoseconds: UInt64
    var attributes: SpanAttributes
    var events: [SpanEvent]
    var links: [SpanLink]
    var status: SpanStatus?
}
