import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TicketCore

@testable import TicketHTTP

@Suite struct MetricsRouteTests {
    @Test func prometheusTextHasPerEventGaugesAndPurchaseCounters() async throws {
        let app = TestApp(store: FakeTicketStore(capacities: [3, 5]))
        try await app.test { client in
            _ = try await client.execute(uri: "/buy/1", method: .post)
            _ = try await client.execute(uri: "/buy/1", method: .post)
            _ = try await client.execute(uri: "/buy/99", method: .post)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let lines = Set(response.text.split(separator: "\n").map(String.init))
                #expect(lines.contains("# TYPE ticketd_event_tickets_available gauge"))
                #expect(lines.contains { $0.hasPrefix("# HELP ticketd_event_tickets_available ") })
                #expect(lines.contains(#"ticketd_event_tickets_available{event="1"} 1"#))
                #expect(lines.contains(#"ticketd_event_tickets_sold{event="1"} 2"#))
                #expect(lines.contains(#"ticketd_event_tickets_capacity{event="1"} 3"#))
                #expect(lines.contains(#"ticketd_event_tickets_available{event="2"} 5"#))
                #expect(lines.contains(#"ticketd_event_tickets_sold{event="2"} 0"#))
                #expect(lines.contains("ticketd_event_stats_scrape_success 1"))
                #expect(lines.contains("# TYPE ticketd_purchases_total counter"))
                #expect(lines.contains { $0.hasPrefix("# HELP ticketd_purchases_total ") })
                #expect(lines.contains(#"ticketd_purchases_total{outcome="purchased"} 2"#))
                #expect(lines.contains(#"ticketd_purchases_total{outcome="unknown_event"} 1"#))
                #expect(lines.contains(#"ticketd_purchases_total{outcome="sold_out"} 0"#))
                #expect(lines.contains("# TYPE ticketd_http_request_duration_seconds histogram"))
                #expect(
                    lines.contains {
                        $0.hasPrefix(#"ticketd_http_request_duration_seconds_count{route="/buy/{eventId}",method="POST",status="201"} 2"#)
                    }
                )
                #expect(
                    lines.contains {
                        $0.hasPrefix(#"ticketd_http_request_duration_seconds_count{route="/buy/{eventId}",method="POST",status="404"} 1"#)
                    }
                )
                // Every family has HELP right before TYPE.
                let all = response.text.split(separator: "\n").map(String.init)
                for (index, line) in all.enumerated() where line.hasPrefix("# TYPE ") {
                    let name = line.split(separator: " ")[2]
                    #expect(index > 0 && all[index - 1].hasPrefix("# HELP \(name) "), "no HELP for \(name)")
                }
            }
        }
    }

    @Test func storeFailureLeavesEventGaugesOutButStillAnswers() async throws {
        let store = FakeTicketStore()
        store.configure { $0.readFailure = TicketStoreError("down") }
        let app = TestApp(store: store)
        try await app.test { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("ticketd_event_stats_scrape_success 0"))
                #expect(!response.text.contains("ticketd_event_tickets_available{"))
            }
        }
    }

    @Test func aJSONSummaryOfAStoreThatDoesNotAnswerHasNoTotals() async throws {
        let store = FakeTicketStore(capacities: [5])
        store.configure { $0.readFailure = TicketStoreError("down") }
        let app = TestApp(store: store)
        try await app.test { client in
            try await client.execute(uri: "/metrics", method: .get, headers: [.accept: "application/json"]) { response in
                #expect(response.status == .ok)
                let body = try response.json()
                #expect((body["events"] as? [Any])?.isEmpty == true)
                #expect(body["eventsError"] as? String != nil)
                #expect(body["totals"] == nil)
                #expect(body["requests"] is Int)
            }
        }
    }

    @Test func jsonSummaryWithAcceptHeader() async throws {
        let app = TestApp(store: FakeTicketStore(capacities: [1]))
        try await app.test { client in
            _ = try await client.execute(uri: "/buy/1", method: .post)
            _ = try await client.execute(uri: "/buy/1", method: .post)
            _ = try await client.execute(uri: "/buy/a%7Bb%7D", method: .post)
            try await client.execute(uri: "/metrics", method: .get, headers: [.accept: "application/json"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let body = try response.json()
                let events = try #require(body["events"] as? [[String: Any]])
                #expect(events.count == 1)
                #expect(events[0]["sold"] as? Int == 1)
                #expect(events[0]["available"] as? Int == 0)
                let totals = try #require(body["totals"] as? [String: Int])
                #expect(totals == ["capacity": 1, "available": 0, "sold": 1])
                let purchases = try #require(body["purchases"] as? [String: Int])
                #expect(purchases["purchased"] == 1)
                #expect(purchases["sold_out"] == 1)
                #expect(purchases["invalid"] == 1)
                #expect(purchases["replayed"] == 0)
                #expect(Set(purchases.keys) == Set(PurchaseOutcome.allCases.map(\.rawValue)))
                let errors = try #require(body["errors"] as? [String: Int])
                #expect(errors == ["409": 1, "400": 1])
                #expect(body["requests"] as? Int == 3)
                #expect(body["version"] as? String == "1.2.3-test")
            }
        }
    }

    @Test(
        arguments: [
            ("application/json", true), ("text/plain", false), (nil, false), ("text/plain, application/json;q=0.5", false),
            ("text/plain;q=0.5, application/json", true), ("application/json, */*", true), ("*/*;q=0.1, application/json;q=0.2", true),
            ("application/json;q=0", false), ("*/*", false), ("Application/JSON", true),
        ] as [(String?, Bool)]
    )
    func acceptNegotiation(accept: String?, json: Bool) {
        #expect(MetricsController.wantsJSON(accept) == json)
    }
}
