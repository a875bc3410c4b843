import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServiceLifecycleTestKit
import Testing

@testable import TicketHTTP

@Suite struct GracefulShutdownTests {
    /// Once the server is told to stop, each connection closes after its response: the response says so, so that a
    /// keep-alive client does not send its next purchase down a closing connection and lose it unanswered.
    @Test func responsesSayTheConnectionClosesOnceTheServerIsShuttingDown() async throws {
        let app = TestApp()
        try await testGracefulShutdown { shutdown in
            try await app.test { client in
                try await client.execute(uri: "/buy/1", method: .post) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[.connection] == nil)
                }
                shutdown.triggerGracefulShutdown()
                try await client.execute(uri: "/buy/1", method: .post) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[.connection] == "close")
                }
                try await client.execute(uri: "/buy/unknown-event", method: .post) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.connection] == "close")
                }
            }
        }
    }
}
