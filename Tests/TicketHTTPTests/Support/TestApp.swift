import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import TicketCore
import TicketHTTP
import TicketPDF

/// Builds the application the way `main` does, with a fake store, a fresh registry and captured logs.
struct TestApp {
    let store: FakeTicketStore
    let registry = PrometheusCollectorRegistry()
    let logs = LogCapture()
    var configuration = AppConfiguration(port: 0, version: "1.2.3-test")
    var auditor: (any TicketAuditor)? = nil
    var tickets: TicketPDFService? = nil

    init(store: FakeTicketStore = FakeTicketStore(), adminToken: String? = nil, auditor: (any TicketAuditor)? = nil, tickets: TicketPDFService? = nil)
    {
        self.store = store
        self.configuration.adminToken = adminToken
        self.auditor = auditor
        self.tickets = tickets
    }

    /// Runs `test` against the app through HummingbirdTesting's in-process router client.
    func test<Value: Sendable>(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = buildApplication(
            configuration: self.configuration,
            store: self.store,
            auditor: self.auditor,
            tickets: self.tickets,
            prometheus: self.registry,
            logger: self.logs.logger()
        )
        return try await app.test(.router, test)
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: self.body) }

    /// The body as a JSON object.
    func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(self.text.utf8))
        guard let dictionary = object as? [String: Any] else { throw JSONShapeError() }
        return dictionary
    }
}

struct JSONShapeError: Error {}

extension ByteBuffer {
    /// A JSON body.
    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}

extension HTTPField.Name {
    static let xRequestIDForTests = HTTPField.Name("X-Request-Id")!
    static let xUserIDForTests = HTTPField.Name("X-User-Id")!
    static let idempotencyKeyForTests = HTTPField.Name("Idempotency-Key")!
}
