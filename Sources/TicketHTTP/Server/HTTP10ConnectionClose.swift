import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Closes the connection after answering an HTTP/1.0 request that did not ask to keep it alive, as RFC 9112 §9.3
/// requires: such a client may read its response until the connection closes.
///
/// Hummingbird sees requests as version-free `HTTPRequest`s (the HTTP/1 codec drops the version) and keeps every
/// connection open unless the request says `Connection: close`. This handler sits before that codec and adds
/// `Connection: close` to the head of a request that, by its version and headers, is not keep-alive; Hummingbird
/// then closes after the response. Before, an HTTP/1.0 request was answered and its connection left open.
///
/// Hummingbird's pipeline has no place before the codec for a handler of ours: ``installer`` is added with the
/// other additional handlers (after the codec) and, once in the pipeline, puts the handler before the codec and
/// leaves.
final class HTTP10ConnectionClose: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = self.unwrapInboundIn(data), !head.isKeepAlive, !head.headers.contains(name: "connection") else {
            context.fireChannelRead(data)
            return
        }
        head.headers.add(name: "connection", value: "close")
        context.fireChannelRead(self.wrapInboundOut(.head(head)))
    }

    /// A handler for the additional handlers of Hummingbird's HTTP/1 channel that installs an
    /// ``HTTP10ConnectionClose`` before the HTTP/1 codec.
    static func installer() -> Installer { Installer() }

    /// Puts an ``HTTP10ConnectionClose`` before the codec, then removes itself.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny

        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            if let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) {
                try? pipeline.addHandler(HTTP10ConnectionClose(), position: .before(codec))
            }
            pipeline.removeHandler(context: context, promise: nil)
        }
    }
}
