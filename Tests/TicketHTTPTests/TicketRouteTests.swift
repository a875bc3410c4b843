import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RedisTestSupport
import Testing
import TicketCore
import TicketPDF

@testable import TicketHTTP

/// `GET /tickets/:purchaseId`, `POST /tickets/verify` and the PDF admin routes, in process.
@Suite final class TicketRouteTests: Sendable {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ticket-routes-\(UUID().uuidString)").path
    let store = FakeTicketStore(capacities: [5])
    let tickets: TicketPDFService
    let app: TestApp

    init() throws {
        self.tickets = try TicketPDFService(
            configuration: TicketPDFConfiguration(outputDirectory: self.directory, workers: 1),
            signingKey: TicketSigningKey("route tests signing key")!,
            store: self.store,
            logger: Logger(label: "test.tickets")
        )
        self.app = TestApp(store: self.store, adminToken: "s3cret", tickets: self.tickets)
    }

    deinit { try? FileManager.default.removeItem(atPath: self.directory) }

    /// A name no font here can set is no passing failure: the problem says why, where it used to say the ticket
    /// "cannot be made now", as if a retry would help.
    @Test func aTicketThatCannotBeRenderedSaysWhy() async throws {
        self.store.configure { $0.events[EventID("1")!]?.snapshot.name = "東京ドーム" }
        try await self.app.test { client in
            let id = try await Self.buy(client)
            try await client.execute(uri: "/tickets/\(id)", method: .get) { response in
                try expectProblem(response, status: .internalServerError, type: "https://ticketd.dev/problems/ticket-render-failed")
                let detail = try #require(try response.json()["detail"] as? String)
                #expect(detail.contains("cannot be rendered") && detail.contains("U+6771"), "\(detail)")
            }
        }
    }

    /// Buys a ticket and returns its purchase id.
    static func buy(_ client: some TestClientProtocol) async throws -> String {
        try await client.execute(uri: "/buy/1", method: .post, headers: [.xUserIDForTests: "alice"]) { response in
            #expect(response.status == .created)
            return try #require(try response.json()["purchaseId"] as? String)
        }
    }

    @Test func aSaleIsRenderedInTheBackgroundAndServedAsPDF() async throws {
        let archive = self.tickets.archive
        try await self.app.test { client in
            let id = try await Self.buy(client)
            try await waitUntil(timeout: .seconds(30), "the sale's ticket is rendered") { archive.contains(PurchaseID(id)!) }
            try await client.execute(uri: "/tickets/\(id)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/pdf")
                #expect(response.headers[.contentDisposition] == "inline; filename=\"ticket-\(id).pdf\"")
                #expect(Array(response.body.readableBytesView.prefix(5)) == Array("%PDF-".utf8))
            }
        }
    }

    @Test func anUnknownPurchaseIs404() async throws {
        try await self.app.test { client in
            try await client.execute(uri: "/tickets/\(PurchaseID.random())", method: .get) { response in
                try expectProblem(response, status: .notFound, type: "https://ticketd.dev/problems/unknown-purchase")
            }
        }
    }

    @Test(arguments: [
        "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "..", "%2Fetc%2Fpasswd", "abc%00def", "ACKS58Z8Q1SY3DV7WJ733F3KRM",
        "acks58z8q1sy3dv7wj733f3kr%00", "acks58z8q1sy3dv7wj733f3krmx", "acks58z8q1sy3dv7wj733f3kri",
    ])
    func idsThatAreNotPurchaseIdsAre400(_ id: String) async throws {
        try await self.app.test { client in
            try await client.execute(uri: "/tickets/\(id)", method: .get) { response in
                try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/invalid-request")
            }
        }
    }

    @Test(arguments: ["/tickets/../../etc/passwd", "/tickets//etc/passwd", "/tickets/a/../../etc/passwd", "/tickets/%2e%2e/%2e%2e/etc/passwd"])
    func pathsThatLeaveTheRouteAre404(_ path: String) async throws {
        try await self.app.test { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect([400, 404].contains(response.status.code), "\(path): \(response.status)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test func theQRTokenVerifiesAndATamperedOneDoesNot() async throws {
        try await self.app.test { client in
            let id = try await Self.buy(client)
            let pdf = try await client.execute(uri: "/tickets/\(id)", method: .get) { Data($0.body.readableBytesView) }
            let path = self.directory + "/downloaded.pdf"
            try pdf.write(to: URL(fileURLWithPath: path))
            let token = try #require(try await ExternalTool.qrCodes(inPDF: path).first)

            try await client.execute(
                uri: "/tickets/verify",
                method: .post,
                headers: [.contentType: "application/json"],
                body: .json(#"{"token":"\#(token)"}"#)
            ) {
                response in
                #expect(response.status == .ok)
                let body = try response.json()
                #expect(body["valid"] as? Bool == true && body["purchaseId"] as? String == id && body["userId"] as? String == "alice")
                #expect(body["eventId"] as? String == "1" && body["ticketId"] as? String == "1-1")
            }
            var tampered = Array(token)
            tampered[3] = tampered[3] == "x" ? "y" : "x"
            try await client.execute(uri: "/tickets/verify", method: .post, body: .json(#"{"token":"\#(String(tampered))"}"#)) { response in
                #expect(response.status == .ok)
                let body = try response.json()
                #expect(body["valid"] as? Bool == false && body["reason"] as? String == "bad_signature")
                #expect(body["purchaseId"] == nil)
            }
            // An object whose token is missing or not a string is told so; a body that is no object, that it is not.
            for body in [#"{"nothing":1}"#, #"{"token":null}"#, #"{"token":5}"#] {
                try await client.execute(uri: "/tickets/verify", method: .post, body: .json(body)) { response in
                    try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/malformed-body")
                    let problem = try response.json()
                    #expect((problem["detail"] as? String)?.hasPrefix("the body's token must be a string") == true, "\(body): \(problem)")
                }
            }
            try await client.execute(uri: "/tickets/verify", method: .post, body: .json("[1]")) { response in
                try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/malformed-body")
                let problem = try response.json()
                #expect((problem["detail"] as? String)?.hasPrefix("the body must be a JSON object") == true, "\(problem)")
            }
        }
    }

    @Test func cleanupThenDownloadGivesTheSameTicket() async throws {
        // Tickets render on download only: a background render still under way could write the file again after
        // the cleanup.
        let tickets = try TicketPDFService(
            configuration: TicketPDFConfiguration(outputDirectory: self.directory + "/on-download", workers: 0),
            signingKey: TicketSigningKey("route tests signing key")!,
            store: self.store,
            logger: Logger(label: "test.tickets")
        )
        let app = TestApp(store: self.store, adminToken: "s3cret", tickets: tickets)
        try await app.test { client in
            let id = try await Self.buy(client)
            let first = try await client.execute(uri: "/tickets/\(id)", method: .get) { Data($0.body.readableBytesView) }
            let admin: HTTPFields = [.authorization: "Bearer s3cret"]
            try await client.execute(uri: "/admin/pdf-stats", method: .get, headers: admin) { response in
                #expect(response.status == .ok)
                let body = try response.json()
                #expect(body["files"] as? Int == 1 && (body["bytes"] as? Int ?? 0) > 1000 && body["oldestFile"] is String)
                #expect(body["workers"] as? Int == 0 && body["backlog"] is Int && body["renderP50Ms"] is Double)
            }
            try await client.execute(uri: "/admin/cleanup-tickets?maxAgeHours=0", method: .post, headers: admin) { response in
                #expect(response.status == .ok)
                let body = try response.json()
                #expect(body["deleted"] as? Int == 1)
                // The log line says which request did it.
                let line = app.logs.all.first { $0.message == "old tickets deleted" }
                let id = try #require(response.headers[.xRequestIDForTests])
                #expect(line?.metadata["request_id"] == .string(id), "\(String(describing: line))")
            }
            // Negative, hexadecimal (read as 24 hours) or given twice (the first was taken): refused, nothing deleted.
            // A percent-encoded name is the same name (`%41` is `A`).
            for query in ["maxAgeHours=-1", "maxAgeHours=0x18", "maxAgeHours=1000&maxAgeHours=0", "maxAgeHours=1000&max%41geHours=0"] {
                try await client.execute(uri: "/admin/cleanup-tickets?\(query)", method: .post, headers: admin) { response in
                    try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/invalid-request")
                }
            }
            #expect(!tickets.archive.contains(PurchaseID(id)!))
            let again = try await client.execute(uri: "/tickets/\(id)", method: .get) { Data($0.body.readableBytesView) }
            #expect(again == first)
        }
    }

    @Test func theAdminRoutesNeedTheToken() async throws {
        try await self.app.test { client in
            try await client.execute(uri: "/admin/pdf-stats", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/admin/cleanup-tickets", method: .post) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }
}
