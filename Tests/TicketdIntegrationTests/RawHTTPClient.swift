import NIOCore
import NIOPosix

/// One HTTP/1.1 exchange per TCP connection, many connections at once: the buyers of the race tests.
///
/// Requests carry `Connection: close`, so a response ends where the server closes the socket; nothing here
/// parses more HTTP than the status line, so what the tests see is what went over the wire.
struct RawHTTPClient: Sendable {
    struct Response: Sendable {
        var status: Int
        var head: String
        var body: String
        /// The body's bytes, for bodies that are not text.
        var bodyBytes: [UInt8]
    }

    let host: String
    let port: Int
    /// How long one exchange may take, from connecting to the server's close: a server that never answers fails
    /// the test that asked, rather than holding the whole test run.
    var timeout: Duration = .seconds(120)
    let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    /// Sends one request on a new connection and reads the whole response.
    ///
    /// - Throws: ``ResponseError`` when what came back is not an HTTP response, or nothing whole came within
    ///   ``timeout``.
    func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: String = "") async throws -> Response {
        let channel = try await ClientBootstrap(group: self.group)
            .connectTimeout(.seconds(30))
            .connect(host: self.host, port: self.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(self.host):\(self.port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let started = ContinuousClock.now
        let deadline = channel.channel.eventLoop.scheduleTask(in: TimeAmount(self.timeout)) { channel.channel.close(promise: nil) }
        defer { deadline.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var received = ByteBuffer()
            do {
                try await outbound.write(ByteBuffer(string: request))
                for try await var chunk in inbound { received.writeBuffer(&chunk) }
            } catch  where ContinuousClock.now - started >= self.timeout {}
            guard ContinuousClock.now - started < self.timeout else {
                throw ResponseError(
                    description: "no whole answer to \(method) \(path) within \(self.timeout); received: \(String(buffer: received).prefix(200))"
                )
            }
            let bytes = Array(received.readableBytesView)
            let separator = Array("\r\n\r\n".utf8)
            let text = String(decoding: bytes, as: UTF8.self)
            guard let headEnd = (0..<max(0, bytes.count - 3)).first(where: { bytes[$0..<$0 + 4].elementsEqual(separator) }),
                let status = Int(text.split(separator: " ").dropFirst().first ?? "")
            else {
                throw ResponseError(description: "not an HTTP response: \(text.prefix(200))")
            }
            let body = Array(bytes[(headEnd + 4)...])
            return Response(
                status: status,
                head: String(decoding: bytes[..<headEnd], as: UTF8.self),
                body: String(decoding: body, as: UTF8.self),
                bodyBytes: body
            )
        }
    }

    /// Sends a request as a client that honours `Retry-After` does: a 503 that sold nothing (the event's last
    /// tickets still in an instance's escrow, say) is sent again after the seconds it asks for, up to `attempts`
    /// sends in all. Returns the last response and how many sends it took.
    func sendHonouringRetryAfter(
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: String = "",
        attempts: Int = 10
    ) async throws -> (response: Response, sends: Int) {
        var sends = 1
        while true {
            let response = try await self.send(method, path, headers: headers, body: body)
            guard response.status == 503, response.body.contains("nothing was sold"), sends < attempts,
                let line = response.head.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("retry-after:") }),
                let seconds = Int(line.dropFirst("retry-after:".count).filter { $0 != " " })
            else { return (response, sends) }
            try await Task.sleep(for: .seconds(seconds))
            sends += 1
        }
    }

    struct ResponseError: Error, CustomStringConvertible {
        let description: String
    }
}
