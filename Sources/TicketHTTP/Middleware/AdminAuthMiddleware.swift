import HTTPTypes
import Hummingbird
import Logging

/// Lets a request through only with `Authorization: Bearer <token>` for the configured admin token.
///
/// The token is compared in constant time (for tokens of the same length), so the time to refuse does not tell
/// how much of a guess was right. A refusal is a 401 ``ProblemType/unauthorized`` problem with
/// `WWW-Authenticate: Bearer realm="ticketd-admin"` (plus `error="invalid_token"` when a bearer token was sent), and the
/// token sent is never logged.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    private let token: [UInt8]

    /// Creates the middleware; `token` must not be empty.
    init(token: String) {
        precondition(!token.isEmpty, "an empty admin token would let anyone in")
        self.token = Array(token.utf8)
    }

    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        // No bearer token at all (no credentials, another scheme, `Bearer` alone) gets the challenge without an error
        // code, as RFC 6750 §3.1 asks; `invalid_token` is for a token presented and refused.
        guard let presented = request.headers[.authorization].flatMap(Self.bearerToken) else {
            context.logger.notice("admin request without a bearer token", metadata: ["path": "\(RequestPath.quoted(request))"])
            throw Self.unauthorized(detail: "this route needs an Authorization: Bearer token", challenge: #"Bearer realm="ticketd-admin""#)
        }
        guard Self.constantTimeEqual(Array(presented.utf8), self.token) else {
            context.logger.notice("admin request with a wrong token", metadata: ["path": "\(RequestPath.quoted(request))"])
            throw Self.unauthorized(
                detail: "the bearer token is not valid",
                challenge: #"Bearer realm="ticketd-admin", error="invalid_token""#
            )
        }
        return try await next(request, context)
    }

    /// The token of a `Bearer` credential (scheme case-insensitive), or `nil` for any other scheme.
    static func bearerToken(_ authorization: String) -> Substring? {
        let trimmed = authorization.drop { $0 == " " }
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        let token = trimmed.dropFirst(7).drop { $0 == " " }
        return token.isEmpty ? nil : token
    }

    /// Whether `lhs == rhs`, taking the same time wherever they first differ.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    private static func unauthorized(detail: String, challenge: String) -> Problem {
        Problem(.unauthorized, detail: detail, headers: [.wwwAuthenticate: challenge])
    }
}
