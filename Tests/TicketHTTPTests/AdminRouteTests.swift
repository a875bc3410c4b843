import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TicketCore

@testable import TicketHTTP

@Suite struct AdminRouteTests {
    static let cleanReport = AuditReport(events: [.init(eventID: EventID("1")!, seeded: 3, available: 2, escrowed: 0, sold: 1, problems: [])])
    static let dirtyReport = AuditReport(events: [
        .init(eventID: EventID("1")!, seeded: 3, available: 2, escrowed: 0, sold: 1, problems: []),
        .init(eventID: EventID("2")!, seeded: 3, available: 2, escrowed: 0, sold: 2, problems: ["ticket 2-1 both sold and available"]),
    ])

    @Test func withoutTokenAdminRoutesDoNotExist() async throws {
        let app = TestApp(auditor: FakeAuditor(report: Self.cleanReport))
        try await app.test { client in
            try await client.execute(uri: "/admin/audit", method: .get, headers: [.authorization: "Bearer anything"]) { response in
                try expectProblem(response, status: .notFound, type: "https://ticketd.dev/problems/route-not-found")
            }
        }
    }

    @Test func emptyTokenCountsAsNoToken() async throws {
        let app = TestApp(adminToken: "", auditor: FakeAuditor(report: Self.cleanReport))
        try await app.test { client in
            try await client.execute(uri: "/admin/audit", method: .get, headers: [.authorization: "Bearer "]) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    /// A token presented and refused gets `error="invalid_token"` in its challenge; no bearer token at all (none,
    /// another scheme, `Bearer` alone) gets no error code, as RFC 6750 §3.1 asks.
    @Test(
        arguments: [
            (nil, false), ("Bearer wrong", true), ("Basic c2VjcmV0", false), ("Bearer", false), ("Bearer  ", false),
            ("Bearer s3cret-but-longer", true),
            ("s3cret", false),
        ] as [(String?, Bool)]
    )
    func wrongOrMissingTokenIs401WithChallenge(authorization: String?, invalidToken: Bool) async throws {
        let app = TestApp(adminToken: "s3cret", auditor: FakeAuditor(report: Self.cleanReport))
        try await app.test { client in
            var headers: HTTPFields = [:]
            if let authorization { headers[.authorization] = authorization }
            try await client.execute(uri: "/admin/audit", method: .get, headers: headers) { response in
                try expectProblem(response, status: .unauthorized, type: "https://ticketd.dev/problems/unauthorized")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect(response.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == invalidToken)
            }
            // Unknown admin paths are hidden behind the same check.
            try await client.execute(uri: "/admin/secret-stuff", method: .post, headers: headers) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func rightTokenReturnsCleanAudit() async throws {
        let app = TestApp(adminToken: "s3cret", auditor: FakeAuditor(report: Self.cleanReport))
        try await app.test { client in
            try await client.execute(uri: "/admin/audit", method: .get, headers: [.authorization: "bearer s3cret"]) { response in
                #expect(response.status == .ok)
                let events = try #require(try response.json()["events"] as? [[String: Any]])
                #expect(events.count == 1)
                #expect(events[0]["eventID"] as? String == "1")
                #expect(events[0]["problems"] as? [String] == [])
            }
            try await client.execute(uri: "/admin/unknown", method: .get, headers: [.authorization: "Bearer s3cret"]) { response in
                try expectProblem(response, status: .notFound, type: "https://ticketd.dev/problems/route-not-found")
            }
        }
    }

    @Test func failingAuditIs409ProblemWithTheEvents() async throws {
        let app = TestApp(adminToken: "s3cret", auditor: FakeAuditor(report: Self.dirtyReport))
        try await app.test { client in
            try await client.execute(uri: "/admin/audit", method: .get, headers: [.authorization: "Bearer s3cret"]) { response in
                try expectProblem(response, status: .conflict, type: "https://ticketd.dev/problems/audit-failed")
                let events = try #require(try response.json()["events"] as? [[String: Any]])
                #expect(events.count == 2)
                #expect(events[1]["problems"] as? [String] == ["ticket 2-1 both sold and available"])
            }
        }
    }

    @Test func tokenWithoutAuditorHasNoAuditRoute() async throws {
        let app = TestApp(adminToken: "s3cret")
        try await app.test { client in
            try await client.execute(uri: "/admin/audit", method: .get, headers: [.authorization: "Bearer s3cret"]) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func bearerParsingAndConstantTimeCompare() {
        #expect(AdminAuthMiddleware.bearerToken("Bearer abc") == "abc")
        #expect(AdminAuthMiddleware.bearerToken("BEARER   abc") == "abc")
        #expect(AdminAuthMiddleware.bearerToken("Basic abc") == nil)
        #expect(AdminAuthMiddleware.bearerToken("Bearer ") == nil)
        #expect(AdminAuthMiddleware.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!AdminAuthMiddleware.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!AdminAuthMiddleware.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
    }
}
