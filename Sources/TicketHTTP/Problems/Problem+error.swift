import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1

extension Problem {
    /// The problem that answers `error`, thrown while serving `request`:
    ///
    /// - ``Problem``: as is.
    /// - Hummingbird's 404 for an unknown path: ``ProblemType/routeNotFound``.
    /// - Any other `HTTPResponseError`: type `about:blank` with the same status.
    /// - The HTTP parser's error while the body was read (a broken chunked encoding): ``ProblemType/invalidRequest``.
    /// - Anything else: ``ProblemType/internalError`` (500), logged at `error`; the body does not echo the error.
    ///
    /// `instance` defaults to the request path (when not too long: ``RequestPath``), and every problem carries the
    /// `requestId` member, so a caller can quote it and we can find the log lines.
    init(answering error: any Error, request: Request, context: AppRequestContext) {
        switch error {
        case let problem as Problem:
            self = problem
        case let error as HTTPError where error.status == .notFound:
            self.init(.routeNotFound, detail: "no route for \(request.method) \(RequestPath.quoted(request))", headers: error.headers)
        case let error as any HTTPResponseError:
            let detail = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            self.init(.httpStatus(error.status), detail: detail, headers: (error as? HTTPError)?.headers ?? [:])
        case let error as HTTPParserError:
            self.init(.invalidRequest, detail: "the request body is not valid HTTP/1.x (\(error))", headers: [.connection: "close"])
        default:
            context.logger.error(
                "unexpected error",
                metadata: ["error": "\(String(reflecting: error))", "http_method": "\(request.method)", "path": "\(RequestPath.quoted(request))"]
            )
            self.init(.internalError, detail: "an unexpected error occurred")
        }
        if self.instance == nil { self.instance = RequestPath.instance(of: request) }
        if self.extensions["requestId"] == nil, !context.requestID.isEmpty { self.extensions["requestId"] = context.requestID }
    }
}
