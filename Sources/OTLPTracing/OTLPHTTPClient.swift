import NIOCore
import NIOHTTP1
import NIOPosix

/// Posts one export to the collector over plain HTTP/1.1: a connection per export, closed after the answer. A
/// loopback or nearby connection costs little beside encoding a batch of hundreds of spans, and never outlives a
/// collector restart.
struct OTLPHTTPClient: Sendable {
    let endpoint: OTLPEndpoint
    let headers: [(name: String, value: String)]
    let group: any EventLoopGroup

    /// Posts `body` as `application/x-protobuf`, waiting `timeout` at most.
    /// - Returns: The collector's answer's status.
    /// - Throws: When the connection fails, closes before the answer, or the whole exchange outlasts the timeout.
    func post(_ body: [UInt8], timeout: Duration) async throws -> HTTPResponseStatus {
        let eventLoop = self.group.next()
        let answer = eventLoop.makePromise(of: HTTPResponseStatus.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(timeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseStatusHandler(answer: answer))
                    }
                }
                .connect(host: self.endpoint.host, port: self.endpoint.port)
                .get()
        } catch {
            answer.fail(error)
            throw error
        }
        let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { channel.close(promise: nil) }
        defer { deadline.cancel() }

        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: self.endpoint.requestTarget)
        head.headers.add(name: "Host", value: self.endpoint.authority)
        head.headers.add(name: "Content-Type", value: "application/x-protobuf")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        for header in self.headers { head.headers.add(name: header.name, value: header.value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        return try await answer.futureResult.get()
    }
}

/// Completes the answer with the response's status once the response has ended, or with an error when the
/// connection closes first; then closes the connection.
private final class ResponseStatusHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let answer: EventLoopPromise<HTTPResponseStatus>
    private var status: HTTPResponseStatus?
    private var answered = false

    init(answer: EventLoopPromise<HTTPResponseStatus>) {
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head): self.status = head.status
        case .body: break
        case .end:
            if let status = self.status, !self.answered {
                self.answered = true
                self.answer.succeed(status)
            }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.answered {
            self.answered = true
            self.answer.fail(OTLPExportError.noAnswer)
        }
        context.fireChannelInactive()
    }
}

/// Why an export has no answer.
enum OTLPExportError: Error, CustomStringConvertible {
    /// The connection closed before a whole response came: the collector closed it, or the timeout did.
    case noAnswer

    var description: String { "the collector did not answer in time or closed the connection first" }
}
