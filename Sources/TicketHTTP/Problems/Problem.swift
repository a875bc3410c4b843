import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem: the body of every error response, sent as `application/problem+json`.
///
/// Thrown from handlers and middleware; ``RequestEnvelopeMiddleware`` turns it (and every other error) into a response,
/// adding `instance` (the request path) and `requestId` when they are not set.
///
/// ```swift
/// throw Problem(.soldOut, detail: "event 1 has no tickets left", extensions: ["eventId": "1"])
/// ```
///
/// The body is `{"type", "title", "status", "detail", "instance"?}` plus the extension members, which never
/// replace the standard ones.
public struct Problem: HTTPResponseError, Sendable, CustomStringConvertible {
    /// The kind of problem: `type`, `title` and the HTTP status.
    public var type: ProblemType
    /// What went wrong this time, for people.
    public var detail: String
    /// The occurrence: by default the request path.
    public var instance: String?
    /// Extra members of the body, such as `field` for a validation problem. Keys of standard members are ignored.
    public var extensions: [String: any Encodable & Sendable]
    /// Headers sent with the response, such as `Retry-After` or `WWW-Authenticate`.
    public var headers: HTTPFields

    /// Creates a problem.
    /// - Parameters:
    ///   - type: The kind of problem.
    ///   - detail: What went wrong this time.
    ///   - instance: The occurrence; `nil` lets ``RequestEnvelopeMiddleware`` use the request path.
    ///   - extensions: Extra members of the body.
    ///   - headers: Headers to send with the response.
    public init(
        _ type: ProblemType,
        detail: String,
        instance: String? = nil,
        extensions: [String: any Encodable & Sendable] = [:],
        headers: HTTPFields = [:]
    ) {
        self.type = type
        self.detail = detail
        self.instance = instance
        self.extensions = extensions
        self.headers = headers
    }

    /// The HTTP status of the response.
    public var status: HTTPResponse.Status { self.type.status }

    public var description: String { "\(self.status.code) \(self.type.title): \(self.detail)" }

    /// The media type of problem bodies.
    public static let mediaType = "application/problem+json"

    /// The response: status, headers, and the JSON body, with ``instance`` defaulting to the request path.
    public func response(from request: Request, context: some RequestContext) -> Response {
        var problem = self
        if problem.instance == nil { problem.instance = RequestPath.instance(of: request) }
        return problem.response()
    }

    /// The response: status, headers, and the JSON body.
    func response() -> Response {
        var headers = self.headers
        headers[.contentType] = Self.mediaType
        return Response(status: self.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.encodedBody())))
    }

    /// The JSON body. Encoding cannot fail for the values ticketd puts in extensions; if one ever does, the body
    /// falls back to the standard members.
    func encodedBody() -> Data {
        let encoder = AppRequestContext.encoder
        if let body = try? encoder.encode(Body(problem: self)) { return body }
        var plain = self
        plain.extensions = [:]
        return (try? encoder.encode(Body(problem: plain))) ?? Data(#"{"status":\#(self.status.code)}"#.utf8)
    }
}

extension Problem {
    /// A path parameter, header or body field failed validation.
    static func invalid(field: String, detail: String) -> Problem {
        Problem(.invalidRequest, detail: detail, extensions: ["field": field])
    }

    /// The store could not answer; the client may retry after a second.
    static func unavailable(detail: String) -> Problem {
        Problem(.storeUnavailable, detail: detail, headers: [.retryAfter: "1"])
    }
}

extension Problem {
    /// The JSON body: the standard members first, then the extensions in key order.
    private struct Body: Encodable {
        let problem: Problem

        private struct Key: CodingKey {
            let stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { self.stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        private static let standardMembers: Set<String> = ["type", "title", "status", "detail", "instance"]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(self.problem.type.uri, forKey: Key("type"))
            try container.encode(self.problem.type.title, forKey: Key("title"))
            try container.encode(Int(self.problem.status.code), forKey: Key("status"))
            try container.encode(self.problem.detail, forKey: Key("detail"))
            try container.encodeIfPresent(self.problem.instance, forKey: Key("instance"))
            for key in self.problem.extensions.keys.sorted() where !Self.standardMembers.contains(key) {
                try container.encode(self.problem.extensions[key]!, forKey: Key(key))
            }
        }
    }
}
