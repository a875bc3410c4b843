import HTTPTypes
import Hummingbird
import Logging

/// Turns every error thrown below it into an RFC 9457 `application/problem+json` response.
///
/// - ``Problem``: sent as is, with `instance` defaulting to the request path.
/// - Hummingbird's 404 for an unknown path: ``ProblemType/routeNotFound``.
/// - Any other `HTTPResponseError` (a 413 for a body over the context's upload limit, …): type `about:blank` with
///   the same status.
/// - Anything else: ``ProblemType/internalError`` (500), logged at `error`; the body does not echo the error.
///
/// Every problem carries the `requestId` member, so a caller can quote it and we can find the log lines.
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    /// Creates the middleware.
    public init() {}

    public func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Self.problem(for: error, request: request, context: context)
            if problem.instance == nil { problem.instance = request.uri.path }
            if problem.extensions["requestId"] == nil, !context.requestID.isEmpty { problem.extensions["requestId"] = context.requestID }
            return problem.response()
        }
    }

    private static func problem(for error: any Error, request: Request, context: AppRequestContext) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as HTTPError where error.status == .notFound:
            return Problem(.routeNotFound, detail: "no route for \(request.method) \(request.uri.path)", headers: error.headers)
        case let error as any HTTPResponseError:
            let detail = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            return Problem(.httpStatus(error.status), detail: detail, headers: (error as? HTTPError)?.headers ?? [:])
        default:
            context.logger.error(
                "unexpected error",
                metadata: ["error": "\(String(reflecting: error))", "http_method": "\(request.method)", "path": "\(request.uri.path)"]
            )
            return Problem(.internalError, detail: "an unexpected error occurred")
        }
    }
}
