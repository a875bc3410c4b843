import HTTPTypes
import Hummingbird

/// Reads a request's JSON body, bounded, for the routes that take one (a purchase, a ticket verification).
enum BodyReader {
    /// The body of `request`, at most `limit` bytes.
    /// - Throws: A 415 problem for an encoded body (a `Content-Encoding` other than `identity`, which ticketd does
    ///   not decode; it was a 400 `malformed-body`). A 413 problem for a body over `limit`, declared or not (a
    ///   chunked one is refused once it runs over), at once when its `Content-Length` says so: the server waited
    ///   for the body before, and a client that declared a large one and waited for an answer before sending it
    ///   heard nothing until the idle timeout closed the connection.
    static func collect(_ request: Request, upTo limit: Int) async throws -> ByteBuffer {
        if let coding = request.headers[.contentEncoding], coding.lowercased() != "identity" {
            throw Problem(
                .unsupportedMediaType,
                detail: "the body must be sent as it is: no Content-Encoding is supported",
                headers: [.acceptEncoding: "identity"]
            )
        }
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw Self.tooLarge(limit) }
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // A body that declared no length (chunked) and ran over: NIO's `NIOTooManyBytesError`, which Hummingbird
            // answered as a bare `413` (`about:blank`), the connection kept open with the rest of the body unread.
            throw Self.tooLarge(limit)
        }
    }

    /// The problem for a body over `limit` bytes. The connection closes after it: the rest of the body may still
    /// be on its way, unread.
    private static func tooLarge(_ limit: Int) -> Problem {
        Problem(.contentTooLarge, detail: "the request body is larger than \(limit) bytes", headers: [.connection: "close"])
    }
}
