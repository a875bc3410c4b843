import HTTPTypes
import Hummingbird
import Logging

/// Gives each request an id: the caller's `X-Request-Id` when it is a short token (1 to 64 of
/// `A-Z a-z 0-9 - _ . :`), so that a request can be followed from a load balancer into our logs; anything else is
/// replaced by a generated id, so a caller can never inject text into log lines.
///
/// ``RequestEnvelopeMiddleware`` assigns it first thing, echoes it in the response's `X-Request-Id` and tags the
/// request's logger with it.
enum RequestIDAssignment {
    /// The metadata key of the request id on every log line of a request.
    static let metadataKey = "request_id"
    /// The longest caller-supplied id kept.
    static let maxLength = 64

    /// Sets `context.requestID` and the logger's `request_id` (replacing Hummingbird's `hb.request.id`) and returns
    /// the id.
    static func assign(to context: inout AppRequestContext, from request: Request) -> String {
        let incoming = request.headers[.xRequestID]
        let id = incoming.flatMap { Self.isValid($0) ? $0 : nil } ?? RequestID().description
        context.requestID = id
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: Self.metadataKey] = .string(id)
        return id
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
