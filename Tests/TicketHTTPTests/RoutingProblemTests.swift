import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import TicketHTTP

@Suite struct RoutingProblemTests {
    @Test func unknownRouteIs404Problem() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/nope/at/all", method: .get) { response in
                try expectProblem(response, status: .notFound, type: "https://ticketd.dev/problems/route-not-found")
                #expect(try response.json()["instance"] as? String == "/nope/at/all")
            }
        }
    }

    /// A long path (the parser takes 80 KB) is not repeated whole: no `instance`, a shortened `detail`.
    @Test func aLongUnknownPathIsNotRepeatedWhole() async throws {
        let app = TestApp()
        let path = "/" + String(repeating: "a", count: 60_000)
        try await app.test { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.body.readableBytes < 2_000)
                let body = try response.json()
                #expect(body["type"] as? String == "https://ticketd.dev/problems/route-not-found")
                #expect(!body.keys.contains("instance"))
                #expect(body["detail"] as? String == "no route for GET \(path.prefix(RequestPath.longestRepeated))…")
                #expect(body["requestId"] as? String != nil)
            }
            let fits = "/" + String(repeating: "b", count: RequestPath.longestRepeated - 1)
            try await client.execute(uri: fits, method: .get) { response in
                let body = try response.json()
                #expect(body["instance"] as? String == fits)
            }
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .get) { response in
                try expectProblem(response, status: .methodNotAllowed, type: "https://ticketd.dev/problems/method-not-allowed")
                #expect(response.headers[.allow] == "POST")
            }
            try await client.execute(uri: "/events", method: .delete) { response in
                try expectProblem(response, status: .methodNotAllowed, type: "https://ticketd.dev/problems/method-not-allowed")
                #expect(response.headers[.allow] == "GET, HEAD")
            }
        }
    }

    /// Regression: TRACE and QUERY of a known path were 404, not 405 (schemathesis, `unsupported_method`).
    @Test(arguments: [HTTPRequest.Method.trace, HTTPRequest.Method("QUERY")!], ["/events", "/buy/1", "/openapi.yaml"])
    func traceAndQueryOfAKnownPathAre405WithAllow(method: HTTPRequest.Method, path: String) async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: path, method: method) { response in
                try expectProblem(response, status: .methodNotAllowed, type: "https://ticketd.dev/problems/method-not-allowed")
                #expect(response.headers[.allow] == (path == "/buy/1" ? "POST" : "GET, HEAD"))
            }
        }
    }

    @Test func headOfGetRouteWorks() async throws {
        let app = TestApp()
        try await app.test { client in
            let response = try await client.execute(uri: "/livez", method: .head)
            #expect(response.status == .ok)
        }
    }

    @Test func requestIDIsGeneratedWhenMissingOrInvalid() async throws {
        let app = TestApp()
        try await app.test { client in
            let generated = try await client.execute(uri: "/livez", method: .get).headers[.xRequestIDForTests]
            #expect(generated?.isEmpty == false)
            let other = try await client.execute(uri: "/livez", method: .get).headers[.xRequestIDForTests]
            #expect(other != generated)
            let injected = try await client.execute(uri: "/livez", method: .get, headers: [.xRequestIDForTests: "bad id\" with quotes"])
            #expect(injected.headers[.xRequestIDForTests] != "bad id\" with quotes")
            let long = try await client.execute(uri: "/livez", method: .get, headers: [.xRequestIDForTests: String(repeating: "a", count: 65)])
            #expect(long.headers[.xRequestIDForTests]?.count != 65)
        }
    }

    @Test func requestIDIsEchoedOnErrors() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/missing", method: .get, headers: [.xRequestIDForTests: "req-1"]) { response in
                #expect(response.headers[.xRequestIDForTests] == "req-1")
                let body = try response.json()
                #expect(body["requestId"] as? String == "req-1")
            }
        }
    }
}
