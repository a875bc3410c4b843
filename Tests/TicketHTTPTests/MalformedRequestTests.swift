import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Prometheus
import Testing

@testable import TicketHTTP

/// Requests that the HTTP/1.1 parser rejects get a problem body and a request id, like every other bad request,
/// instead of Hummingbird's bare `400`.
@Suite struct MalformedRequestTests {
    /// Writes `bytes` on a new connection to `port` and reads until the server closes it.
    static func exchange(_ bytes: String, port: Int) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: bytes))
            var received = ByteBuffer()
            for try await var chunk in inbound { received.writeBuffer(&chunk) }
            return String(buffer: received)
        }
    }

    /// The responses in `text`, each as its head and body (the body up to its `Content-Length`).
    static func responses(in text: String) -> [(head: String, body: String)] {
        var rest = Substring(text)
        var responses: [(head: String, body: String)] = []
        while let split = rest.range(of: "\r\n\r\n") {
            let head = String(rest[..<split.lowerBound])
            let length =
                head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).filter { $0 != " " }) } ?? 0
            let body = rest[split.upperBound...].prefix(length)
            responses.append((head, String(body)))
            rest = rest[split.upperBound...].dropFirst(length)
        }
        return responses
    }

    /// Runs `body` with the port of a live server of the app on a fake store.
    static func withLiveApp(_ body: @Sendable (Int) async throws -> Void) async throws {
        let app = buildApplication(
            configuration: AppConfiguration(host: "127.0.0.1", port: 0, version: "live"),
            store: FakeTicketStore(),
            auditor: nil,
            prometheus: PrometheusCollectorRegistry(),
            logger: LogCapture().logger(level: .info)
        )
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }

    /// Checks that `response` is the problem for a request that is not HTTP/1.1.
    static func expectProblem(_ response: (head: String, body: String)) throws {
        #expect(response.head.hasPrefix("HTTP/1.1 400 "), "\(response.head)")
        let head = response.head.lowercased()
        #expect(head.contains("content-type: application/problem+json") && head.contains("connection: close"), "\(response.head)")
        // The `Date` and `Server` that Hummingbird writes on every other answer.
        #expect(head.contains("\r\nserver: ticketd"), "\(response.head)")
        let date = try #require(response.head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("date: ") }).dropFirst("date: ".count)
        #expect(date.hasSuffix(" GMT") && date.count == 29, "\(date)")
        let id = try #require(head.split(separator: "\r\n").first { $0.hasPrefix("x-request-id:") }).dropFirst("x-request-id:".count)
            .filter { $0 != " " }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        #expect(json["status"] as? Int == 400 && (json["type"] as? String)?.hasSuffix("/invalid-request") == true, "\(json)")
        #expect(json["requestId"] as? String == id && (json["detail"] as? String)?.contains("not valid HTTP/1.x") == true, "\(json)")
    }

    @Test(arguments: ["NOT HTTP AT ALL\r\n\r\n", "GET /livez HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"])
    func aRequestThatCannotBeParsedGetsAProblem(_ request: String) async throws {
        try await Self.withLiveApp { port in
            let responses = Self.responses(in: try await Self.exchange(request, port: port))
            #expect(responses.count == 1)
            try Self.expectProblem(try #require(responses.first))
        }
    }

    @Test func aGoodRequestIsAnsweredInFullBeforeTheProblemOfTheNextOne() async throws {
        try await Self.withLiveApp { port in
            let text = try await Self.exchange("GET /livez HTTP/1.1\r\nHost: x\r\n\r\nBROKEN\r\n\r\n", port: port)
            let responses = Self.responses(in: text)
            #expect(responses.count == 2, "\(text)")
            #expect(responses.first?.head.hasPrefix("HTTP/1.1 200 ") == true && responses.first?.body == "ok", "\(text)")
            try Self.expectProblem(try #require(responses.last))
        }
    }

    /// A request head over the parser's 80 KiB, in one header or in the target, or of more than Hummingbird's 1000
    /// fields, is `431`, not a bare `400`; its detail said 80 KiB for too many fields too.
    @Test(arguments: [
        "X-Big: \(String(repeating: "a", count: 100_000))\r\n", "", (0..<1000).map { "X-H\($0): v\r\n" }.joined(),
    ])
    func aRequestHeadOverTheLimitIsRequestHeaderFieldsTooLarge(_ header: String) async throws {
        let query = header.isEmpty ? "?" + String(repeating: "q", count: 100_000) : ""
        try await Self.withLiveApp { port in
            let text = try await Self.exchange("POST /buy/1\(query) HTTP/1.1\r\nHost: x\r\n\(header)\r\n", port: port)
            let response = try #require(Self.responses(in: text).first)
            #expect(response.head.hasPrefix("HTTP/1.1 431 ") && response.head.lowercased().contains("connection: close"), "\(response.head)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
            #expect(json["status"] as? Int == 431 && (json["type"] as? String)?.hasSuffix("/request-head-too-large") == true, "\(json)")
            #expect((json["detail"] as? String)?.contains("80 KiB, or more than 1000 fields") == true && json["requestId"] is String, "\(json)")
        }
    }

    /// RFC 9112 §3.2: an HTTP/1.1 request without `Host`, or any request with two or with an invalid value, is a
    /// `400`, answered after the requests before it; an HTTP/1.0 request may leave `Host` out.
    @Test(arguments: [
        ("POST /buy/1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "needs a Host"),
        ("POST /buy/1 HTTP/1.1\r\nHost: x\r\nHost: y\r\nContent-Length: 0\r\n\r\n", "more than one Host"),
        ("POST /buy/1 HTTP/1.0\r\nHost: x\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "more than one Host"),
        ("POST /buy/1 HTTP/1.1\r\nHost: x/y\r\nContent-Length: 0\r\n\r\n", "not a host"),
    ])
    func aRequestWithoutOneValidHostIsABadRequest(_ request: String, _ detail: String) async throws {
        try await Self.withLiveApp { port in
            let text = try await Self.exchange("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n" + request, port: port)
            let responses = Self.responses(in: text)
            #expect(responses.count == 2 && responses.first?.head.hasPrefix("HTTP/1.1 200 ") == true, "\(text)")
            let response = try #require(responses.last)
            #expect(response.head.hasPrefix("HTTP/1.1 400 ") && response.head.lowercased().contains("connection: close"), "\(response.head)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
            #expect((json["type"] as? String)?.hasSuffix("/invalid-request") == true && json["requestId"] is String, "\(json)")
            #expect((json["detail"] as? String)?.contains(detail) == true, "\(json)")
        }
    }

    /// CONNECT asks for a tunnel, which this server never opens: `400`, and the connection closes. (SwiftNIO's encoder
    /// sends no body in any answer to CONNECT.) Before, the answer was a 404 with neither a length nor a closing,
    /// and the request after it was never answered: the connection hung until the idle timeout.
    @Test(.timeLimit(.minutes(1)), arguments: ["CONNECT /buy/1 HTTP/1.1\r\nHost: x\r\n\r\n", "CONNECT x:80 HTTP/1.1\r\nHost: x:80\r\n\r\n"])
    func aTunnelRequestIsRefusedAndTheConnectionClosed(_ request: String) async throws {
        try await Self.withLiveApp { port in
            let text = try await Self.exchange(
                "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n" + request + "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n",
                port: port
            )
            let responses = Self.responses(in: text)
            #expect(responses.count == 2 && responses.first?.head.hasPrefix("HTTP/1.1 200 ") == true, "\(text)")
            let refusal = try #require(responses.last)
            #expect(refusal.head.hasPrefix("HTTP/1.1 400 ") && refusal.head.lowercased().contains("connection: close"), "\(refusal.head)")
        }
    }

    @Test func anHTTP10RequestWithoutHostIsServed() async throws {
        try await Self.withLiveApp { port in
            let text = try await Self.exchange("GET /livez HTTP/1.0\r\n\r\n", port: port)
            #expect(Self.responses(in: text).first?.head.hasPrefix("HTTP/1.") == true && text.contains(" 200 "), "\(text)")
        }
    }

    /// A body its `Content-Length` declares over the limit is refused at once (no `100 Continue` for it) and the
    /// connection closed: the server waited for the body before, and a client waiting for an answer before it sent
    /// the body heard nothing until the idle timeout.
    @Test(arguments: ["", "Expect: 100-continue\r\n"])
    func aDeclaredBodyOverTheLimitIsRefusedBeforeItIsSent(_ expect: String) async throws {
        try await Self.withLiveApp { port in
            let text = try await Self.exchange("POST /buy/1 HTTP/1.1\r\nHost: x\r\n\(expect)Content-Length: 99999999999\r\n\r\n", port: port)
            let response = try #require(Self.responses(in: text).first)
            #expect(response.head.hasPrefix("HTTP/1.1 413 ") && response.head.lowercased().contains("connection: close"), "\(response.head)")
            #expect(response.body.contains("/content-too-large"), "\(response.body)")
        }
    }

    /// A body the parser rejects fails the request's handler (nothing is sold from what came) and is a 400 too.
    @Test func aBrokenChunkedBodyIsABadRequest() async throws {
        try await Self.withLiveApp { port in
            let request = "POST /buy/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n2\r\n{}\r\nZZ\r\n"
            let responses = Self.responses(in: try await Self.exchange(request, port: port))
            let response = try #require(responses.first)
            #expect(responses.count == 1 && response.head.hasPrefix("HTTP/1.1 400 "), "\(responses)")
            #expect(response.body.contains("/invalid-request") && response.body.contains("not valid HTTP/1.x"), "\(response.body)")
        }
    }
}
