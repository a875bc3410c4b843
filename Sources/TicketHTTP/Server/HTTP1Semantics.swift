import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// What HTTP/1.x asks of a server that Hummingbird leaves out, because its HTTP/1 codec drops the request's version
/// and the interim answers: this handler sits before that codec, where both are still there.
///
/// - **Persistence** (RFC 9112 §9.3): the connection of a request that did not ask to be kept alive is closed after
///   its answer (an HTTP/1.0 client may read the response until the connection closes), and the answer to an
///   HTTP/1.0 request that asked says `Connection: keep-alive` (without it, such a client, ApacheBench's `-k` for
///   one, takes the connection for closing and waits for its end). Hummingbird keeps every connection open unless
///   the request's `Connection` field is exactly `close`; so a request that is not keep-alive, by its version and
///   headers (`Connection: keep-alive, close` included), gets exactly `Connection: close` here.
/// - **`Expect: 100-continue`** (RFC 9110 §10.1.1) is answered with `100 Continue`, which Hummingbird never sends: a
///   client that asks waits for it before sending its body, and curl gave up waiting only after a second, so every
///   such purchase took a second longer. The interim answer goes out at once when no earlier request on the
///   connection is still unanswered, so that it never cuts into another response; a pipelined request with the
///   expectation (which a client waiting for `100` does not send) gets none, and its client sends the body when it
///   tires of waiting. A request then refused (a body over the size limit: `413`) is refused after its body, which
///   the answer allows.
/// - **A body declared over the limit** (`Content-Length` over `bodyLimit`) is answered `413` by its route before
///   it is read, and the request is marked `Connection: close`, so that the connection closes after the answer.
///   Hummingbird otherwise reads the rest of a request's body after its answer: it waited for a body that a client
///   holding it back for the answer never sent, until the idle timeout, or read gigabytes of one it would discard.
/// - **`Host`** (RFC 9112 §3.2): an HTTP/1.1 request without it, and any request with more than one or with an
///   invalid value, is refused with `400`. Hummingbird served them. The request goes no further: its head and
///   everything after it on the connection are dropped here, and ``MalformedRequestAnswer`` answers the
///   ``HostFieldError`` (once the requests before it are answered) and closes the connection.
/// - **`CONNECT`** is refused the same way (``TunnelRequestError``): this server opens no tunnels.
///
/// Hummingbird's pipeline has no place before the codec for a handler of ours: ``installer`` is added with the
/// other additional handlers (after the codec) and, once in the pipeline, puts the handler before the codec and
/// leaves.
final class HTTP1Semantics: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// For each request whose final answer has not started, oldest first: whether it is an HTTP/1.0 request kept
    /// alive.
    private var keptAliveHTTP10 = CircularBuffer<Bool>()
    /// A request was refused for its `Host` fields: nothing more is read from the connection.
    private var refused = false
    /// The largest body a route reads, in bytes.
    private let bodyLimit: Int

    /// A handler for one connection whose routes read bodies of at most `bodyLimit` bytes.
    init(bodyLimit: Int) {
        self.bodyLimit = bodyLimit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.refused else { return }
        guard case .head(var head) = self.unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        if let error = HostFieldError.check(head.headers["host"], requiresHost: (head.version.major, head.version.minor) >= (1, 1)) {
            self.refused = true
            context.fireErrorCaught(error)
            return
        }
        if head.method == .CONNECT {
            self.refused = true
            context.fireErrorCaught(TunnelRequestError())
            return
        }
        // RFC 9112 §9.3: a `close` option closes, whatever else the field says; HTTP/1.0 stays open only on request.
        // A body declared over the limit is not read (413), nor asked for with `100 Continue`: the connection closes.
        let options = head.headers[canonicalForm: "connection"].map { $0.lowercased() }
        let tooLarge = head.headers["content-length"].contains { Int($0).map { $0 > self.bodyLimit } ?? false }
        let keepAlive = !tooLarge && !options.contains("close") && (head.version != .http1_0 || options.contains("keep-alive"))
        let expectsContinue = head.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
        if expectsContinue, !tooLarge, head.version != .http1_0, self.keptAliveHTTP10.isEmpty {
            let interim = HTTPResponseHead(version: .http1_1, status: .continue)
            context.writeAndFlush(self.wrapOutboundOut(.head(interim)), promise: nil)
        }
        self.keptAliveHTTP10.append(head.version == .http1_0 && keepAlive)
        // Hummingbird closes only when the field is exactly `close`.
        guard !keepAlive, head.headers["connection"] != ["close"] else {
            context.fireChannelRead(data)
            return
        }
        head.headers.replaceOrAdd(name: "connection", value: "close")
        context.fireChannelRead(self.wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // An interim answer (100 Continue) comes before the request's final one.
        guard case .head(var head) = self.unwrapOutboundIn(data), head.status.code >= 200,
            let keptAlive = self.keptAliveHTTP10.popFirst(), keptAlive, !head.headers.contains(name: "connection")
        else {
            context.write(data, promise: promise)
            return
        }
        head.headers.add(name: "connection", value: "keep-alive")
        context.write(self.wrapOutboundOut(.head(head)), promise: promise)
    }

    /// A handler for the additional handlers of Hummingbird's HTTP/1 channel that installs an ``HTTP1Semantics``
    /// before the HTTP/1 codec, for routes that read bodies of at most `bodyLimit` bytes.
    static func installer(bodyLimit: Int) -> Installer { Installer(bodyLimit: bodyLimit) }

    /// Puts an ``HTTP1Semantics`` before the codec, then removes itself.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny

        private let bodyLimit: Int

        init(bodyLimit: Int) {
            self.bodyLimit = bodyLimit
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            if let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) {
                try? pipeline.addHandler(HTTP1Semantics(bodyLimit: self.bodyLimit), position: .before(codec))
            }
            pipeline.removeHandler(context: context, promise: nil)
        }
    }
}
