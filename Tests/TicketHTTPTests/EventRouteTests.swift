import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TicketCore

@testable import TicketHTTP

@Suite struct EventRouteTests {
    @Test func listsEveryEventInOrder() async throws {
        let app = TestApp(store: FakeTicketStore(capacities: [5, 7, 9, 11, 13, 15, 17, 19, 21, 23]))
        try await app.test { client in
            _ = try await client.execute(uri: "/buy/2", method: .post)
            try await client.execute(uri: "/events", method: .get) { response in
                #expect(response.status == .ok)
                let events = try #require(try response.json()["events"] as? [[String: Any]])
                #expect(events.map { $0["id"] as? String } == (1...10).map { String($0) })
                #expect(events[1]["capacity"] as? Int == 7)
                #expect(events[1]["available"] as? Int == 6)
                #expect(events[1]["sold"] as? Int == 1)
                #expect(events[1]["name"] as? String == "Event 2")
            }
        }
    }

    @Test func showsOneEvent() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/events/1", method: .get) { response in
                #expect(response.status == .ok)
                let body = try response.json()
                #expect(body["id"] as? String == "1")
                #expect(body["capacity"] as? Int == 3)
                #expect(body["perUserLimit"] as? Int == 0)
            }
        }
    }

    @Test func unknownEventIs404() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/events/42", method: .get) { response in
                try expectProblem(response, status: .notFound, type: "https://ticketd.dev/problems/unknown-event")
            }
        }
    }

    @Test func invalidEventIDIs400() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/events/a%7Bb%7D", method: .get) { response in
                try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/invalid-request")
                #expect(try response.json()["field"] as? String == "eventId")
            }
        }
    }

    @Test func unreadableStoreIs503() async throws {
        let store = FakeTicketStore()
        store.configure { $0.readFailure = TicketStoreError("connection refused") }
        let app = TestApp(store: store)
        try await app.test { client in
            for uri in ["/events", "/events/1"] {
                try await client.execute(uri: uri, method: .get) { response in
                    try expectProblem(response, status: .serviceUnavailable, type: "https://ticketd.dev/problems/store-unavailable")
                    #expect(response.headers[.retryAfter] == "1")
                }
            }
        }
    }
}
