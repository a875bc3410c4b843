import Testing

@testable import TicketHTTP

/// An HTTP/1.0 request without keep-alive is answered and its connection closed (RFC 9112 §9.3), as an HTTP/1.1
/// request with `Connection: close` is; a keep-alive request of either version keeps its connection, and the
/// answer to an HTTP/1.0 one says so.
@Suite struct HTTP10PersistenceTests {
    /// What the server sent before closing the connection, or a failure when it has not closed it within 10 s.
    static func exchangeUntilClosed(_ request: String, port: Int) async throws -> String {
        try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { try await MalformedRequestTests.exchange(request, port: port) }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let text = first else {
                throw ConnectionLeftOpen(request: request)
            }
            return text
        }
    }

    struct ConnectionLeftOpen: Error, CustomStringConvertible {
        let request: String
        var description: String { "the server left the connection open after \(self.request.debugDescription)" }
    }

    @Test(arguments: [
        "GET /livez HTTP/1.0\r\n\r\n", "GET /livez HTTP/1.0\r\nConnection: close\r\n\r\n", "POST /buy/1 HTTP/1.0\r\n\r\n",
        // A `close` option wins over `keep-alive`, in one field or two, in either version.
        "GET /livez HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
        "GET /livez HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
        "GET /livez HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Close\r\n\r\n",
        // A request sent after one that closes the connection is not answered, not even with a 400.
        "GET /livez HTTP/1.0\r\n\r\nGET /livez HTTP/1.0\r\n\r\n",
        "GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /livez HTTP/1.1\r\nHost: x\r\n\r\n",
    ])
    func aRequestWithoutKeepAliveIsAnsweredAndItsConnectionClosed(_ request: String) async throws {
        try await MalformedRequestTests.withLiveApp { port in
            let text = try await Self.exchangeUntilClosed(request, port: port)
            let responses = MalformedRequestTests.responses(in: text)
            #expect(responses.count == 1, "\(text)")
            #expect(responses.first?.head.hasPrefix("HTTP/1.1 20") == true, "\(text)")
            #expect(responses.first?.head.lowercased().contains("connection: close") == true, "the response says so: \(text)")
        }
    }

    @Test func anHTTP10KeepAliveRequestKeepsItsConnectionForTheNext() async throws {
        try await MalformedRequestTests.withLiveApp { port in
            let requests = "GET /livez HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /livez HTTP/1.0\r\n\r\n"
            let text = try await Self.exchangeUntilClosed(requests, port: port)
            let responses = MalformedRequestTests.responses(in: text)
            #expect(responses.count == 2 && responses.allSatisfy { $0.body == "ok" }, "\(text)")
            #expect(responses.first?.head.lowercased().contains("connection: keep-alive") == true, "\(text)")
            #expect(responses.last?.head.lowercased().contains("connection: close") == true, "\(text)")
        }
    }

    @Test func anHTTP11KeepAliveAnswerSaysNothingOfTheConnection() async throws {
        try await MalformedRequestTests.withLiveApp { port in
            let requests = "GET /livez HTTP/1.1\r\nHost: x\r\n\r\nGET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let text = try await Self.exchangeUntilClosed(requests, port: port)
            let responses = MalformedRequestTests.responses(in: text)
            #expect(responses.count == 2, "\(text)")
            #expect(responses.first?.head.lowercased().contains("connection:") == false, "\(text)")
        }
    }
}
