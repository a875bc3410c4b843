import HTTPTypes
import Hummingbird
import Logging

/// Gives each request an id, echoes it in the `X-Request-Id` response header and tags the request's logger with it.
///
/// The caller's `X-Request-Id` is kept when it is a short token (1 to 64 of `A-Z a-z 0-9 - _ . :`), so that a
/// request can be followed from a load balancer into our logs; anything else is replaced by a generated id, so a
/// caller can never inject text into log lines. This middleware must be the outermost one: the others rely on
/// `context.requestID` and `context.logger` being set.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    /// The metadata key of the request id on every log line of a request.
    public static let metadataKey = "request_id"
    /// The longest caller-supplied id kept.
    public static let maxLength = 64

    /// Creates the middleware.
    public init() {}

    public func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let incoming = request.headers[.xRequestID]
        let id = incoming.flatMap { Self.isValid($0) ? $0 : nil } ?? RequestID().description
        context.requestID = id
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: Self.metadataKey] = .string(id)
        var response = try await next(request, context)
        response.headers[.xRequestID] = id
        return response
    }

    /// Whether a caller-supplied id is short and made of safe characters only.
    static func isValid(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard !utf8.isEmpty, utf8.count <= Self.maxLength else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"):
                return true
            default:
                return false
            }
        }
    }
}
