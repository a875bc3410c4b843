import HTTPTypes
import Hummingbird
import Tracing

/// The least a tracing middleware does: a server span per request, continuing a `traceparent`, with the path and
/// the status as attributes.
struct MinimalTracingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var parent = InstrumentationContext.current ?? .topLevel
        InstrumentationSystem.instrument.extract(request.headers, into: &parent, using: HeaderExtractor())
        return try await withSpan(request.uri.path, context: parent, ofKind: .server) { span in
            span.attributes["url.path"] = request.uri.path
            let response = try await next(request, context)
            span.attributes["http.response.status_code"] = Int64(response.status.code)
            return response
        }
    }
}

/// Reads header fields for the instrument's `extract`.
private struct HeaderExtractor: Extractor {
    func extract(key: String, from fields: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { fields[$0] }
    }
}
