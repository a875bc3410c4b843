import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import TicketCore

/// Answers a request that the HTTP/1 parser rejects (a garbled request line, a header line without a colon, a header
/// too large) with an RFC 9457 problem, an `X-Request-Id` and the `Date` and `Server` of every answer, instead of
/// Hummingbird's bare `400` with no body: `431 request-head-too-large` for a request line and headers over the
/// parser's 80 KiB (it leaves a few bytes uncounted) or over Hummingbird's 1000 header fields, `400 invalid-request`
/// for anything else, and `400 invalid-request` too for a request whose `Host` fields break RFC 9112 (a
/// ``HostFieldError``, raised by ``HTTP1Semantics``) and for a `CONNECT` request (a ``TunnelRequestError``). Then it
/// closes the connection, whose byte stream cannot be trusted any more.
///
/// It sits between the HTTP codec and Hummingbird's connection handling, one per connection. A parse error between
/// requests is taken out of the pipeline and answered here, once every request read before it has been answered in
/// full, so responses keep their order and never interleave. A parse error inside a request (a broken chunked body)
/// goes on to Hummingbird as before: that request's handler must see its body fail, not end early and act on what
/// came.
final class MalformedRequestAnswer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let logger: Logger
    /// The `Server` header, as Hummingbird writes it on every other response; `nil` for none.
    private let serverName: String?
    /// A request's head has been read and its end has not.
    private var readingRequest = false
    /// Requests read (or being read) whose response has not ended yet.
    private var unanswered = 0
    /// A refusal waiting for the responses to the requests before it.
    private var pending: (any Error)?
    private var answered = false

    /// A handler for one connection, logging each answer to `logger` and naming the server `serverName`.
    init(logger: Logger, serverName: String?) {
        self.logger = logger
        self.serverName = serverName
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head:
            self.readingRequest = true
            self.unanswered += 1
        case .end:
            self.readingRequest = false
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd = if case .end = self.unwrapOutboundIn(data) { true } else { false }
        context.write(data, promise: promise)
        guard isEnd else { return }
        self.unanswered -= 1
        if self.unanswered == 0, let error = self.pending {
            self.pending = nil
            self.answer(error, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError || error is HostFieldError || error is TunnelRequestError, !self.readingRequest else {
            context.fireErrorCaught(error)
            return
        }
        // Bytes after a request that closes the connection (`Connection: close`, or HTTP/1.0 without keep-alive)
        // are a request that will not be read (RFC 9112 §9.6), not a malformed one.
        if case .closedConnection = error as? HTTPParserError { return }
        guard !self.answered, self.pending == nil else { return }
        if self.unanswered > 0 {
            self.pending = error
        } else {
            self.answer(error, context: context)
        }
    }

    /// Writes the problem for `error` (an ``HTTPParserError``, a ``HostFieldError`` or a ``TunnelRequestError``) and
    /// closes the connection once it is out.
    private func answer(_ error: any Error, context: ChannelHandlerContext) {
        self.answered = true
        let id = RequestID().description
        var problem =
            if let hostError = error as? HostFieldError {
                Problem(
                    .invalidRequest,
                    detail: "\(hostError) (RFC 9112 §3.2); the connection is closed",
                    extensions: ["requestId": id]
                )
            } else if let tunnelError = error as? TunnelRequestError {
                // SwiftNIO's encoder sends no body in an answer to CONNECT: the status and the closing are what arrive.
                Problem(.invalidRequest, detail: "\(tunnelError); the connection is closed", extensions: ["requestId": id])
            } else if case .headerOverflow = error as? HTTPParserError {
                Problem(
                    .requestHeadTooLarge,
                    detail: "the request line and header fields are longer than about 80 KiB, or more than 1000 fields; the connection is closed",
                    extensions: ["requestId": id]
                )
            } else {
                Problem(
                    .invalidRequest,
                    detail: "the request is not valid HTTP/1.x (\(error)); the connection is closed",
                    extensions: ["requestId": id]
                )
            }
        problem.instance = nil
        let body = problem.encodedBody()
        var head = HTTPResponse(status: problem.status)
        head.headerFields[.contentType] = Problem.mediaType
        head.headerFields[.contentLength] = String(body.count)
        head.headerFields[.connection] = "close"
        head.headerFields[.xRequestID] = id
        // What Hummingbird adds to every response it writes; RFC 9110 §6.6.1 asks for `Date` on a 4xx.
        head.headerFields[.date] = Timestamp.httpDate(millis: Timestamp.nowMillis())
        if let serverName = self.serverName { head.headerFields[.server] = serverName }
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        self.logger.notice(
            "request refused: not valid HTTP/1.x",
            metadata: [RequestIDAssignment.metadataKey: .string(id), "error": "\(error)", "status": "\(problem.status.code)"]
        )
    }
}
