import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// HTTP/1.0 persistence as RFC 9112 §9.3 has it: the connection of a request that did not ask to be kept alive is
/// closed after its answer (such a client may read the response until the connection closes), and the answer to one
/// that asked says `Connection: keep-alive` (without it, an HTTP/1.0 client such as ApacheBench's `-k` takes the
/// connection for closing and waits for its end).
///
/// Hummingbird sees requests as version-free `HTTPRequest`s (the HTTP/1 codec drops the version) and keeps every
/// connection open unless the request's `Connection` field is exactly `close`. This handler sits before that codec:
/// it makes the field exactly `Connection: close` on a request that, by its version and headers, is not keep-alive
/// (`Connection: keep-alive, close` included), so that Hummingbird closes after the response, and adds
/// `Connection: keep-alive` to the answer of an HTTP/1.0 request that is.
///
/// Hummingbird's pipeline has no place before the codec for a handler of ours: ``installer`` is added with the
/// other additional handlers (after the codec) and, once in the pipeline, puts the handler before the codec and
/// leaves.
final class HTTP10Persistence: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// For each request not yet answered, oldest first: whether it is an HTTP/1.0 request kept alive.
    private var keptAliveHTTP10 = CircularBuffer<Bool>()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = self.unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        // RFC 9112 §9.3: a `close` option closes, whatever else the field says; HTTP/1.0 stays open only on request.
        let options = head.headers[canonicalForm: "connection"].map { $0.lowercased() }
        let keepAlive = !options.contains("close") && (head.version != .http1_0 || options.contains("keep-alive"))
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

    /// A handler for the additional handlers of Hummingbird's HTTP/1 channel that installs an
    /// ``HTTP10Persistence`` and an ``ExpectContinue`` before the HTTP/1 codec.
    static func installer() -> Installer { Installer() }

    /// Puts an ``HTTP10Persistence`` and an ``ExpectContinue`` before the codec, then removes itself.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny

        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            if let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) {
                try? pipeline.addHandler(HTTP10Persistence(), position: .before(codec))
                try? pipeline.addHandler(ExpectContinue(), position: .before(codec))
            }
            pipeline.removeHandler(context: context, promise: nil)
        }
    }
}
