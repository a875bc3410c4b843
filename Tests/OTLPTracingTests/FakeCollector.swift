import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An OTLP/HTTP collector on a free loopback port for the exporter tests: it answers every `POST` with `status` and
/// hands each request's path and body to ``requests``, which ends when the collector stops. Started holding its
/// answers, it sends none until ``releaseAnswers()``; started with an answer delay, it answers each request that long
/// after it came.
final class FakeCollector: Sendable {
    let port: Int
    /// The requests, in the order they complete.
    let requests: AsyncStream<(path: String, body: [UInt8])>
    private let channel: any Channel
    private let received: AsyncStream<(path: String, body: [UInt8])>.Continuation
    private let gate: AnswerGate

    static func start(
        status: HTTPResponseStatus = .ok,
        holdingAnswers: Bool = false,
        answerDelay: TimeAmount = .zero
    ) async throws -> FakeCollector {
        let (requests, continuation) = AsyncStream.makeStream(of: (path: String, body: [UInt8]).self)
        let gate = AnswerGate(holding: holdingAnswers)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        CollectorHandler(status: status, received: continuation, gate: gate, delay: answerDelay)
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return FakeCollector(port: channel.localAddress?.port ?? 0, requests: requests, received: continuation, channel: channel, gate: gate)
    }

    private init(
        port: Int,
        requests: AsyncStream<(path: String, body: [UInt8])>,
        received: AsyncStream<(path: String, body: [UInt8])>.Continuation,
        channel: any Channel,
        gate: AnswerGate
    ) {
        self.port = port
        self.requests = requests
        self.received = received
        self.channel = channel
        self.gate = gate
    }

    /// Sends the answers held back so far, and every later one at once.
    func releaseAnswers() {
        self.gate.release()
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
    let gate: AnswerGate
    let delay: TimeAmount
    private var path = ""
    private var body: [UInt8] = []

    init(status: HTTPResponseStatus, received: AsyncStream<(path: String, body: [UInt8])>.Continuation, gate: AnswerGate, delay: TimeAmount) {
        self.status = status
        self.received = received
        self.gate = gate
        self.delay = delay
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
            let eventLoop = context.eventLoop
            let bound = NIOLoopBound(context, eventLoop: eventLoop)
            let status = self.status
            let delay = self.delay
            self.gate.answer {
                eventLoop.scheduleTask(in: delay) {
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Length", value: "0")
                    let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
                    bound.value.write(Self.wrapOutboundOut(.head(head)), promise: nil)
                    bound.value.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
                }
            }
        }
    }
}

/// Holds answers back while the collector holds them, and sends them when it stops holding.
private final class AnswerGate: Sendable {
    private let state: Mutex<(holding: Bool, held: [@Sendable () -> Void])>

    init(holding: Bool) {
        self.state = Mutex((holding, []))
    }

    /// Runs `send` now, or when the gate is released.
    func answer(_ send: @escaping @Sendable () -> Void) {
        let now: Bool = self.state.withLock { state in
            if state.holding { state.held.append(send) }
            return !state.holding
        }
        if now { send() }
    }

    func release() {
        let held = self.state.withLock { state in
            state.holding = false
            defer { state.held = [] }
            return state.held
        }
        for send in held { send() }
    }
}
