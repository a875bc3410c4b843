/// The W3C trace context of one span: what a `traceparent` header carries, plus the `tracestate` passed along.
public struct TraceContext: Hashable, Sendable {
    /// The trace the span belongs to.
    public let traceID: TraceID
    /// The span itself.
    public let spanID: SpanID
    /// Whether the trace is sampled: the `01` flag.
    public let sampled: Bool
    /// The vendors' `tracestate`, passed on unread; never empty.
    public let traceState: String?

    /// A context of these parts.
    public init(traceID: TraceID, spanID: SpanID, sampled: Bool, traceState: String? = nil) {
        self.traceID = traceID
        self.spanID = spanID
        self.sampled = sampled
        self.traceState = traceState?.isEmpty == false ? traceState : nil
    }

    /// Reads a `traceparent` (`<version>-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`), or `nil` when it is
    /// not one, as W3C Trace Context asks: uppercase hex digits, a version `ff`, all-zero ids or a version `00` value
    /// with more fields are refused; a later version may append fields after the flags. `traceState` is passed on as
    /// W3C allows (``TraceState/passedOn(_:)``): invalid, it is dropped; too long, it loses members.
    public init?(traceparent: String, traceState: String? = nil) {
        let fields = traceparent.split(separator: "-", omittingEmptySubsequences: false)
        guard !traceparent.utf8.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }), fields.count >= 4,
            fields[0].utf8.count == 2, let version = UInt64(hexDigits: fields[0]), version != 0xFF,
            version != 0 || fields.count == 4,
            let traceID = TraceID(hex: fields[1]), let spanID = SpanID(hex: fields[2]),
            fields[3].utf8.count == 2, let flags = UInt64(hexDigits: fields[3])
        else { return nil }
        self.init(traceID: traceID, spanID: spanID, sampled: flags & 1 == 1, traceState: traceState.flatMap(TraceState.passedOn))
    }

    /// This context as a version `00` `traceparent`, written in place: the response header and the log lines of
    /// every sampled request need it.
    public var traceparent: String {
        String(unsafeUninitializedCapacity: 55) { buffer in
            let dash = UInt8(ascii: "-")
            let zero = UInt8(ascii: "0")
            buffer[0] = zero
            buffer[1] = zero
            buffer[2] = dash
            self.traceID.high.writeHexDigits(into: buffer, at: 3)
            self.traceID.low.writeHexDigits(into: buffer, at: 19)
            buffer[35] = dash
            self.spanID.value.writeHexDigits(into: buffer, at: 36)
            buffer[52] = dash
            buffer[53] = zero
            buffer[54] = self.sampled ? UInt8(ascii: "1") : zero
            return 55
        }
    }
}
