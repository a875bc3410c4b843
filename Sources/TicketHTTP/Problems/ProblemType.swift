import HTTPTypes

/// The kinds of problem ticketd reports, each with its RFC 9457 `type` URI, a fixed `title` and its HTTP status.
///
/// Clients branch on ``uri`` (stable), never on `title` or `detail` (for people). Every kind ticketd can answer
/// with is listed here, in one place:
///
/// | kind | status | `type` |
/// | --- | --- | --- |
/// | ``invalidRequest`` | 400 | `https://ticketd.dev/problems/invalid-request` |
/// | ``malformedBody`` | 400 | `https://ticketd.dev/problems/malformed-body` |
/// | ``conflictingUserID`` | 400 | `https://ticketd.dev/problems/conflicting-user-id` |
/// | ``unauthorized`` | 401 | `https://ticketd.dev/problems/unauthorized` |
/// | ``userLimitReached`` | 403 | `https://ticketd.dev/problems/user-limit-reached` |
/// | ``routeNotFound`` | 404 | `https://ticketd.dev/problems/route-not-found` |
/// | ``unknownEvent`` | 404 | `https://ticketd.dev/problems/unknown-event` |
/// | ``unknownPurchase`` | 404 | `https://ticketd.dev/problems/unknown-purchase` |
/// | ``methodNotAllowed`` | 405 | `https://ticketd.dev/problems/method-not-allowed` |
/// | ``soldOut`` | 409 | `https://ticketd.dev/problems/sold-out` |
/// | ``auditFailed`` | 409 | `https://ticketd.dev/problems/audit-failed` |
/// | ``escrowReleaseRefused`` | 409 | `https://ticketd.dev/problems/escrow-release-refused` |
/// | ``contentTooLarge`` | 413 | `https://ticketd.dev/problems/content-too-large` |
/// | ``unsupportedMediaType`` | 415 | `https://ticketd.dev/problems/unsupported-media-type` |
/// | ``requestHeadTooLarge`` | 431 | `https://ticketd.dev/problems/request-head-too-large` |
/// | ``internalError`` | 500 | `https://ticketd.dev/problems/internal-error` |
/// | ``ticketRenderFailed`` | 500 | `https://ticketd.dev/problems/ticket-render-failed` |
/// | ``storeUnavailable`` | 503 | `https://ticketd.dev/problems/store-unavailable` |
///
/// Any other HTTP error Hummingbird raises is reported with ``httpStatus(_:)``: type `about:blank` and the status's
/// reason phrase as title, as RFC 9457 §4.2.1 prescribes.
public struct ProblemType: Sendable, Hashable {
    /// The `type` member: a URI naming the kind of problem.
    public let uri: String
    /// The `title` member: a short summary that does not change between occurrences.
    public let title: String
    /// The HTTP status this kind of problem is answered with.
    public let status: HTTPResponse.Status

    /// Creates a kind of problem.
    public init(uri: String, title: String, status: HTTPResponse.Status) {
        self.uri = uri
        self.title = title
        self.status = status
    }

    /// The prefix of every ticketd problem type URI.
    public static let base = "https://ticketd.dev/problems/"

    private init(slug: String, title: String, status: HTTPResponse.Status) {
        self.init(uri: Self.base + slug, title: title, status: status)
    }

    /// A path parameter, header or body field is not valid; the `field` member names it.
    public static let invalidRequest = ProblemType(slug: "invalid-request", title: "Invalid request", status: .badRequest)
    /// The body is not valid JSON, or not the JSON object the route expects.
    public static let malformedBody = ProblemType(slug: "malformed-body", title: "Malformed request body", status: .badRequest)
    /// The buyer was named twice, differently: in the body's `userId` and in the `X-User-Id` header.
    public static let conflictingUserID = ProblemType(
        slug: "conflicting-user-id",
        title: "Conflicting user ids",
        status: .badRequest
    )
    /// An admin route was called without the right bearer token.
    public static let unauthorized = ProblemType(slug: "unauthorized", title: "Unauthorized", status: .unauthorized)
    /// The buyer already holds as many tickets of the event as one buyer may. Not a rate limit: waiting does not help.
    public static let userLimitReached = ProblemType(
        slug: "user-limit-reached",
        title: "Ticket limit per buyer reached",
        status: .forbidden
    )
    /// No route has this path.
    public static let routeNotFound = ProblemType(slug: "route-not-found", title: "Not found", status: .notFound)
    /// No event has this id.
    public static let unknownEvent = ProblemType(slug: "unknown-event", title: "Unknown event", status: .notFound)
    /// No purchase has this id.
    public static let unknownPurchase = ProblemType(slug: "unknown-purchase", title: "Unknown purchase", status: .notFound)
    /// The path exists but not with this method; the `Allow` header lists the methods it has.
    public static let methodNotAllowed = ProblemType(
        slug: "method-not-allowed",
        title: "Method not allowed",
        status: .methodNotAllowed
    )
    /// Every ticket of the event is sold.
    public static let soldOut = ProblemType(slug: "sold-out", title: "Sold out", status: .conflict)
    /// The ticket books do not balance; the `events` member carries the audit.
    public static let auditFailed = ProblemType(slug: "audit-failed", title: "Audit found problems", status: .conflict)
    /// Another instance's escrow was not released: its journal may hold unsettled sales; the `refusal` member says
    /// why, and `force=true` releases it anyway.
    public static let escrowReleaseRefused = ProblemType(
        slug: "escrow-release-refused",
        title: "Escrow release refused",
        status: .conflict
    )
    /// The body is larger than the route reads (16 KiB), or its `Content-Length` says it will be; the connection is
    /// closed.
    public static let contentTooLarge = ProblemType(slug: "content-too-large", title: "Request body too large", status: .contentTooLarge)
    /// The body has a content type other than JSON, or a content coding (`Content-Encoding`).
    public static let unsupportedMediaType = ProblemType(
        slug: "unsupported-media-type",
        title: "Unsupported media type",
        status: .unsupportedMediaType
    )
    /// The request line and header fields together are longer than the server reads (about 80 KiB), or more than
    /// 1000 fields; the connection is closed.
    public static let requestHeadTooLarge = ProblemType(
        slug: "request-head-too-large",
        title: "Request header fields too large",
        status: .requestHeaderFieldsTooLarge
    )
    /// Something unexpected went wrong; the log line with the same request id says what.
    public static let internalError = ProblemType(slug: "internal-error", title: "Internal error", status: .internalServerError)
    /// The purchase exists but its PDF ticket cannot be made (a character the font lacks, a full disk); the log line
    /// with the same request id says which.
    public static let ticketRenderFailed = ProblemType(
        slug: "ticket-render-failed",
        title: "Ticket cannot be rendered",
        status: .internalServerError
    )
    /// The ticket store cannot be reached now; nothing was sold. Retry after the `Retry-After` delay.
    public static let storeUnavailable = ProblemType(
        slug: "store-unavailable",
        title: "Ticket store unavailable",
        status: .serviceUnavailable
    )

    /// A problem with no meaning beyond its HTTP status: type `about:blank`, the reason phrase as title.
    public static func httpStatus(_ status: HTTPResponse.Status) -> ProblemType {
        ProblemType(uri: "about:blank", title: status.reasonPhrase, status: status)
    }
}
