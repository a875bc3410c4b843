import Foundation
import Hummingbird
import Logging
import Tracing

/// The request context of every ticketd route: Hummingbird's core storage plus the request id and, when tracing
/// records the request, its span.
///
/// ``RequestEnvelopeMiddleware`` fills ``requestID`` and puts it in `logger` metadata as `request_id` (replacing
/// Hummingbird's own `hb.request.id`), so every line a handler logs through `context.logger` carries it.
///
/// > Important: Hummingbird's `RequestContext.id` reads `hb.request.id` and traps when it is missing; use
/// > ``requestID`` instead.
public struct AppRequestContext: RequestContext {
    /// Hummingbird's per-request storage: logger, path parameters, matched route.
    public var coreContext: CoreRequestContextStorage
    /// The request's id: the caller's `X-Request-Id` when it is a valid short token, otherwise a generated one.
    /// Empty until ``RequestEnvelopeMiddleware`` has run.
    public var requestID: String
    /// The request's span while it records (tracing on, the request sampled), for the handlers to describe the
    /// request on it; set by ``RequestTracingMiddleware``.
    public var recordingSpan: (any Span)?

    /// Creates a context for a new request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.recordingSpan = nil
    }

    /// The largest body ticketd reads: purchases carry a few dozen bytes of JSON.
    public var maxUploadSize: Int { Self.bodyLimit }

    /// The largest body any route reads, in bytes.
    static let bodyLimit = 16 * 1024

    /// JSON responses write `/tickets/…`, not Foundation's default `\/tickets\/…`.
    public var responseEncoder: JSONEncoder { Self.encoder }

    /// The encoder of every JSON body, problems included.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}
