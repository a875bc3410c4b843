import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TicketCore

@testable import TicketHTTP

@Suite struct HealthRouteTests {
    @Test func livezIsPlainOK() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/livez", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text == "ok")
            }
        }
        #expect(app.store.read { $0.purchaseCalls } == 0)
    }

    @Test(arguments: [("up", "ok", HTTPResponse.Status.ok), ("degraded", "degraded", .ok), ("down", "down", .serviceUnavailable)])
    func healthFollowsTheStore(storeStatus: String, status: String, httpStatus: HTTPResponse.Status) async throws {
        let store = FakeTicketStore()
        store.configure { $0.health = StoreHealth(status: storeStatus, latencyMs: 1.5, detail: storeStatus == "up" ? nil : "fallback") }
        let app = TestApp(store: store)
        try await app.test { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == httpStatus)
                let body = try response.json()
                #expect(body["status"] as? String == status)
                #expect(body["version"] as? String == "1.2.3-test")
                #expect((body["uptimeSeconds"] as? Double).map { $0 >= 0 } == true)
                let storeBody = try #require(body["store"] as? [String: Any])
                #expect(storeBody["status"] as? String == storeStatus)
                #expect(storeBody["latencyMs"] as? Double == 1.5)
            }
        }
    }
}
