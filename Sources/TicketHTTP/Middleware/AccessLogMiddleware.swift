import Dispatch
import HTTPTypes
import Hummingbird
import Logging

/// Logs one `debug` line per request (method, path, status, duration); free when the level is above `debug`.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard context.logger.logLevel <= .debug else { return try await next(request, context) }
        let start = DispatchTime.now().uptimeNanoseconds
        let response = try await next(request, context)
        let micros = (DispatchTime.now().uptimeNanoseconds - start) / 1000
        context.logger.debug(
            "request",
            metadata: [
                "http_method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(Double(micros) / 1000)),
            ]
        )
        return response
    }
}
