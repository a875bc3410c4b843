import Logging
import TicketCore
import Tracing

/// The trace id on the log lines of a traced request, as `trace_id`: a metadata provider that reads the request's
/// `traceparent` where the tracing middleware marked it (``InstrumentationContext/markedTraceparent``), at the time
/// a line is written.
///
/// The middleware used to put the trace id in the request's logger, which copied the logger's handler and metadata
/// for every traced request, logged or not. The provider costs a task-local read per line, and only lines that are
/// written pay it; every logger of the process, the stores' included, names the trace of the request it logs for.
public enum TraceIDMetadata {
    /// The metadata key of the trace id.
    public static let key = "trace_id"

    /// Adds `trace_id` to every line logged under a request whose span records; adds nothing elsewhere.
    public static let provider = Logger.MetadataProvider {
        guard let traceparent = InstrumentationContext.markedTraceparent, let traceID = Self.traceID(traceparent) else { return [:] }
        return [Self.key: .string(String(traceID))]
    }

    /// The trace id of a `traceparent` value (`00-<32 hex>-<16 hex>-<2 hex>`), or `nil` when it has another shape.
    static func traceID(_ traceparent: String) -> Substring? {
        let utf8 = traceparent.utf8
        let dash = UInt8(ascii: "-")
        guard let first = utf8.firstIndex(of: dash) else { return nil }
        let start = utf8.index(after: first)
        guard let end = utf8[start...].firstIndex(of: dash), utf8.distance(from: start, to: end) == 32 else { return nil }
        return traceparent[start..<end]
    }
}
