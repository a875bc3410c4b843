import HTTPTypes
import Hummingbird
import Logging
import Tracing

/// Tells the caller and the logs which trace a request belongs to: the response's `traceresponse` header (W3C Trace
/// Context level 2: `00-<trace id>-<span id>-<flags>`, the server span's own ids) and `trace_id` on every log line of
/// the request.
///
/// Runs inside Hummingbird's `TracingMiddleware`, which continues an incoming `traceparent` and makes the request's
/// span current; this middleware only reads that span's context back through the bootstrapped instrument, so it
/// knows nothing of the tracer behind it. Added only when tracing is on (``AppConfiguration/tracing``).
struct TraceContextMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// The metadata key of the trace id on every log line of a traced request.
    static let metadataKey = "trace_id"

    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let instrumentationContext = InstrumentationContext.current else { return try await next(request, context) }
        var fields = HTTPFields()
        InstrumentationSystem.instrument.inject(instrumentationContext, into: &fields, using: HTTPFieldsInjector())
        guard let traceparent = fields[.traceparent], let traceID = Self.traceID(traceparent) else {
            return try await next(request, context)
        }
        var context = context
        context.logger[metadataKey: Self.metadataKey] = .string(String(traceID))
        var response = try await next(request, context)
        response.headers[.traceresponse] = traceparent
        return response
    }

    /// The trace id of a `traceparent` value (`00-<32 hex>-<16 hex>-<2 hex>`), or `nil` when it has another shape.
    static func traceID(_ traceparent: String) -> Substring? {
        let parts = traceparent.split(separator: "-")
        guard parts.count == 4, parts[1].utf8.count == 32 else { return nil }
        return parts[1]
    }
}

/// Writes an instrument's propagation values (`traceparent`, `tracestate`) into HTTP fields.
private struct HTTPFieldsInjector: Injector {
    func inject(_ value: String, forKey key: String, into fields: inout HTTPFields) {
        guard let name = HTTPField.Name(key) else { return }
        fields[name] = value
    }
}
