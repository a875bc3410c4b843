import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Synchronization
import Testing

@testable import TicketHTTP

@Suite struct LiveServerTests {
    final class Flag: Sendable {
        let value = Mutex(false)
    }

    @Test func servesOverASocketAfterOnServerStarting() async throws {
        let started = Flag()
        let app = buildApplication(
            configuration: AppConfiguration(host: "127.0.0.1", port: 0, version: "live"),
            store: FakeTicketStore(),
            auditor: nil,
            prometheus: PrometheusCollectorRegistry(),
            logger: LogCapture().logger(level: .info),
            onServerStarting: { started.value.withLock { $0 = true } }
        )
        try await app.test(.live) { client in
            #expect(started.value.withLock { $0 })
            let response = try await client.execute(uri: "/livez", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.server] == "ticketd")
            #expect(response.headers[.xRequestIDForTests]?.isEmpty == false)
            let purchase = try await client.execute(
                uri: "/buy/1",
                method: .post,
                headers: [.contentType: "application/json"],
                body: .json(#"{"userId":"z"}"#)
            )
            #expect(purchase.status == .created)
        }
    }
}
