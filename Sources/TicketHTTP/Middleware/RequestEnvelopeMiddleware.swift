import Dispatch
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle

/// What ticketd does around every request, as one middleware layer: it assigns the request id
/// (``RequestIDAssignment``), answers every error with an RFC 9457 problem (``Problem/init(answering:request:context:)``),
/// records the request's duration by route and status (``RequestMetricsRecorder``), writes the access log line
/// (``AccessLog``) and echoes the id in the response's `X-Request-Id`. While the server shuts down gracefully, and
/// when the request said `Connection: close`, it adds `Connection: close`.
///
/// One layer rather than four, because every middleware layer is another async frame on the request's path, and a
/// connection's task keeps the deepest stack it ever had until the connection closes (the Swift task allocator
/// frees its slabs only when the task ends): with thousands of connections, each with a purchase waiting for Redis,
/// each layer costs memory in proportion (see design.md, "Memory at 5000 connections").
///
/// Add it after the tracing middleware, so the request's span covers it and the trace id is on the logger before
/// anything here logs; everything below it may rely on `context.requestID`.
struct RequestEnvelopeMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let metrics: RequestMetricsRecorder

    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = RequestIDAssignment.assign(to: &context, from: request)
        let start = DispatchTime.now().uptimeNanoseconds
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Problem(answering: error, request: request, context: context).response()
        }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        self.metrics.record(route: context.endpointPath, method: request.method, status: response.status.code, nanoseconds: elapsed)
        AccessLog.record(request, status: response.status.code, nanoseconds: elapsed, logger: context.logger)
        response.headers[.xRequestID] = id
        // A server shutting down closes each connection once its response is out. Said in the response, a
        // keep-alive client opens a new connection (to another instance) for its next request; unsaid, it sends
        // that request down the closing connection, and the request is lost without an answer.
        // A request that asked for the connection to close (or an HTTP/1.0 one, see ``HTTP1Semantics``) hears
        // that it will, as RFC 9112 §9.6 asks.
        if Task.isShuttingDownGracefully || request.headers[.connection] == "close" { response.headers[.connection] = "close" }
        return response
    }
}
