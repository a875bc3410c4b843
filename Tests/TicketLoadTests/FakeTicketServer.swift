import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A stand-in for ticketd on a real socket: sells one event's tickets `1…capacity` from a counter, replays
/// `Idempotency-Key`s, and breaks the rules to order, so that the tester can be seen to catch it.
final class FakeTicketServer: Sendable {
    /// The rule to break.
    enum Fault: Sendable {
        /// None: a healthy service.
        case none
        /// Hands out `ticket` a second time, in the sale right after it.
        case sellTicketTwice(Int)
        /// Answers a repeated key with a new sale (201) instead of the original purchase.
        case sellOnReplay
        /// Once it has sold anything, reports `extra` more tickets sold than it sold.
        case overstateSold(Int)
        /// Takes connections and requests, and never answers.
        case neverAnswers
        /// Answers its first `count` reads of an event's counts, then `503` to every later one: a service gone by
        /// the end of the run.
        case countsReadOnly(Int)
        /// Answers `503` to its `read`th read of an event's counts only: a store that answered again a moment later.
        case countsFailOnce(read: Int)
        /// Sells every `n`th ticket but answers `503` naming the purchase, as ticketd does when it cannot tell
        /// whether Redis made it.
        case unknownOutcomeEvery(Int)
        /// Sells every `n`th ticket but answers it with `status` (502, 504), as a proxy does whose server went or went
        /// quiet after the sale.
        case proxyErrorEvery(Int, status: Int)
        /// Counts `unsettled` of its sales as not sold yet (still available) on its reads of an event's counts after
        /// the first, up to the `reads`th: sales from escrow, which an instance settles in Redis after the run.
        case settlesLate(reads: Int, unsettled: Int)
        /// Names event `event` in every `n`th sale's answer, whatever event was bought from.
        case namesAnotherEventEvery(Int, event: String)
    }

    private struct Sale {
        var ticket: Int
        var purchase: String
    }

    private struct State {
        var sold = 0
        var ledger: [String: Sale] = [:]
        var countReads = 0
    }

    let port: Int
    private let channel: any Channel
    private let capacity: Int
    let fault: Fault
    private let state = Mutex(State())

    private init(channel: any Channel, capacity: Int, fault: Fault) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.capacity = capacity
        self.fault = fault
    }

    /// Listens on a free loopback port.
    static func start(capacity: Int, fault: Fault = .none) async throws -> FakeTicketServer {
        let server = Box()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(server: server))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let fake = FakeTicketServer(channel: channel, capacity: capacity, fault: fault)
        server.value.withLock { $0 = fake }
        return fake
    }

    /// Stops listening.
    func stop() async throws {
        try await self.channel.close()
    }

    /// The answer to one request: status, extra headers, JSON body.
    fileprivate func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, [(String, String)], String) {
        let path = head.uri.split(separator: "/")
        switch (head.method, path.first) {
        case (.GET, "events"):
            let (sold, reads) = self.state.withLock { state in
                state.countReads += 1
                return (state.sold, state.countReads)
            }
            if case .countsReadOnly(let count) = self.fault, reads > count { return (.serviceUnavailable, [], "{}") }
            if case .countsFailOnce(let read) = self.fault, reads == read { return (.serviceUnavailable, [], "{}") }
            var reported = sold
            var available = self.capacity - sold
            if case .overstateSold(let extra) = self.fault, sold > 0 { reported += extra }
            if case .settlesLate(let lateReads, let unsettled) = self.fault, reads > 1, reads <= lateReads {
                reported = max(0, sold - unsettled)
                available = self.capacity - reported
            }
            return (.ok, [], #"{"capacity":\#(self.capacity),"available":\#(available),"sold":\#(reported),"perUserLimit":0}"#)
        case (.POST, "buy"):
            return self.buy(event: path.count > 1 ? String(path[1]) : "", key: head.headers.first(name: "Idempotency-Key"))
        default:
            return (.notFound, [], "{}")
        }
    }

    private func buy(event: String, key: String?) -> (HTTPResponseStatus, [(String, String)], String) {
        let fault = self.fault
        let capacity = self.capacity
        let outcome: (replay: Bool, sale: Sale)? = self.state.withLock { state in
            if let key, let original = state.ledger[key] {
                if case .sellOnReplay = fault {} else { return (true, original) }
            }
            guard state.sold < capacity else { return nil }
            state.sold += 1
            var ticket = state.sold
            if case .sellTicketTwice(let twice) = fault, ticket == twice + 1 { ticket = twice }
            let sale = Sale(ticket: ticket, purchase: "p\(state.sold)")
            if let key { state.ledger[key] = sale }
            return (false, sale)
        }
        guard let outcome else { return (.conflict, [], #"{"type":"sold-out"}"#) }
        if case .unknownOutcomeEvery(let n) = fault, !outcome.replay, outcome.sale.ticket % n == 0 {
            let purchase = outcome.sale.purchase
            return (.serviceUnavailable, [], #"{"status":503,"purchaseId":"\#(purchase)","ticketUrl":"/tickets/\#(purchase)"}"#)
        }
        if case .proxyErrorEvery(let n, let status) = fault, !outcome.replay, outcome.sale.ticket % n == 0 {
            return (HTTPResponseStatus(statusCode: status), [], "<html>\(status)</html>")
        }
        var named = event
        if case .namesAnotherEventEvery(let n, let other) = fault, outcome.sale.ticket % n == 0 { named = other }
        let body = #"{"purchaseId":"\#(outcome.sale.purchase)","eventId":"\#(named)","ticketId":"\#(outcome.sale.ticket)","userId":null}"#
        return outcome.replay ? (.ok, [("Idempotent-Replayed", "true")], body) : (.created, [], body)
    }

    /// The server, set once it is bound; the handlers created before that never see a request.
    private final class Box: Sendable {
        let value = Mutex<FakeTicketServer?>(nil)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let server: Box
        private var head: HTTPRequestHead?

        init(server: Box) {
            self.server = server
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body: break
            case .end:
                guard let head = self.head, let server = self.server.value.withLock({ $0 }) else { return }
                if case .neverAnswers = server.fault { return }
                let (status, headers, body) = server.answer(head)
                var response = HTTPResponseHead(version: .http1_1, status: status)
                response.headers.add(name: "Content-Type", value: "application/json")
                response.headers.add(name: "Content-Length", value: "\(body.utf8.count)")
                for (name, value) in headers { response.headers.add(name: name, value: value) }
                context.write(self.wrapOutboundOut(.head(response)), promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
