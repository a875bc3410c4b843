import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An OTLP/HTTP collector on a free loopback port for the exporter tests: it answers every `POST` with `status` and
/// hands each request's path and body to ``requests``, which ends when the collector stops.
final class FakeCollector: Sendable {
    let port: Int
    /// The requests, in the order they complete.
    let requests: AsyncStream<(path: String, body: [UInt8])>
    private let channel: any Channel
    private let received: AsyncStream<(path: String, body: [UInt8])>.Continuation

    static func start(status: HTTPResponseStatus = .ok) async throws -> FakeCollector {
        let (requests, continuation) = AsyncStream.makeStream(of: (path: String, body: [UInt8]).self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(CollectorHandler(status: status, received: continuation))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return FakeCollector(port: channel.localAddress?.port ?? 0, requests: requests, received: continuation, channel: channel)
    }

    private init(
        port: Int,
        requests: AsyncStream<(path: String, body: [UInt8])>,
        received: AsyncStream<(path: String, body: [UInt8])>.Continuation,
        channel: any Channel
    ) {
        self.port = port
        self.requests = requests
        self.received = received
        self.channel = channel
    }

    /// Stops listening and ends ``requests``; call it after the last export it should see has been answered.
    func stop() async throws {
        try await self.channel.close()
        self.received.finish()
    }
}

private final class CollectorHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let status: HTTPResponseStatus
    let received: AsyncStream<(path: String, body: [UInt8])>.Continuation
    private var path = ""
    private var body: [UInt8] = []

    init(status: HTTPResponseStatus, received: AsyncStream<(path: String, body: [UInt8])>.Continuation) {
        self.status = status
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.path = head.uri
            self.body = []
        case .body(let buffer):
            self.body += buffer.readableBytesView
        case .end:
            self.received.yield((self.path, self.body))
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "0")
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: self.status, headers: headers))), promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
