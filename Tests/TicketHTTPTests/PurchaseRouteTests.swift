import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TicketCore

@testable import TicketHTTP

@Suite struct PurchaseRouteTests {
    @Test func purchaseReturns201WithTicketAndLocation() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(
                uri: "/buy/1",
                method: .post,
                headers: [.contentType: "application/json"],
                body: .json(#"{"userId": "alice"}"#)
            ) { response in
                #expect(response.status == .created)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let body = try response.json()
                let purchaseID = try #require(body["purchaseId"] as? String)
                #expect(PurchaseID(purchaseID) != nil)
                #expect(body["eventId"] as? String == "1")
                #expect(body["ticketId"] as? String == "1-1")
                #expect(body["userId"] as? String == "alice")
                #expect(body["ticketUrl"] as? String == "/tickets/\(purchaseID)")
                #expect(response.headers[.location] == "/tickets/\(purchaseID)")
                let purchasedAt = try #require(body["purchasedAt"] as? String)
                #expect(purchasedAt.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
                #expect(response.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            }
        }
    }

    @Test func anonymousPurchaseWithoutBodyHasNullUser() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post) { response in
                #expect(response.status == .created)
                let body = try response.json()
                #expect(body.keys.contains("userId"))
                #expect(body["userId"] is NSNull)
            }
        }
    }

    @Test func userFromHeaderIsUsed() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post, headers: [.xUserIDForTests: "bob"]) { response in
                #expect(response.status == .created)
                let body = try response.json()
                #expect(body["userId"] as? String == "bob")
            }
            // The same buyer named both ways is fine.
            try await client.execute(
                uri: "/buy/1",
                method: .post,
                headers: [.xUserIDForTests: "bob", .contentType: "application/json; charset=utf-8"],
                body: .json(#"{"userId":"bob"}"#)
            ) { response in
                #expect(response.status == .created)
            }
        }
    }

    @Test func replayWithSameIdempotencyKeyReturns200AndSameTicket() async throws {
        let app = TestApp()
        try await app.test { client in
            let headers: HTTPFields = [.idempotencyKeyForTests: "order-42", .xUserIDForTests: "carol"]
            let first = try await client.execute(uri: "/buy/1", method: .post, headers: headers)
            #expect(first.status == .created)
            let second = try await client.execute(uri: "/buy/1", method: .post, headers: headers)
            #expect(second.status == .ok)
            #expect(second.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try first.json()["purchaseId"] as? String == second.json()["purchaseId"] as? String)
            #expect(try first.json()["ticketId"] as? String == second.json()["ticketId"] as? String)
            #expect(second.headers[.location] == first.headers[.location])
        }
        #expect(app.store.read { $0.purchases.count } == 1)
    }

    /// With a secret configured, the purchase id of a keyed purchase is an HMAC under it: no one who lacks the
    /// secret can compute a buyer's purchase id (and fetch the ticket) from the event, the buyer and the key.
    @Test func aKeyedPurchaseIDIsKeyedByTheSecret() async throws {
        let secret = try #require(TicketSigningKey(String(repeating: "s", count: 32)))
        var app = TestApp()
        app.configuration.purchaseIDSecret = secret
        let event = try #require(EventID("1"))
        let key = try #require(IdempotencyKey("order-42"))
        try await app.test { client in
            let headers: HTTPFields = [.idempotencyKeyForTests: "order-42", .xUserIDForTests: "carol"]
            let response = try await client.execute(uri: "/buy/1", method: .post, headers: headers)
            #expect(response.status == .created)
            let id = try response.json()["purchaseId"] as? String
            #expect(id == PurchaseID.derived(event: event, user: UserID("carol"), key: key, secret: secret).rawValue)
            #expect(id != PurchaseID.derived(event: event, user: UserID("carol"), key: key).rawValue, "not the plain hash")
        }
    }

    @Test func unknownEventIs404Problem() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/99", method: .post) { response in
                try expectProblem(response, status: .notFound, type: "https://ticketd.dev/problems/unknown-event")
                #expect(try response.json()["eventId"] as? String == "99")
            }
        }
    }

    @Test func soldOutIs409Problem() async throws {
        let app = TestApp(store: FakeTicketStore(capacities: [1]))
        try await app.test { client in
            #expect(try await client.execute(uri: "/buy/1", method: .post).status == .created)
            try await client.execute(uri: "/buy/1", method: .post) { response in
                try expectProblem(response, status: .conflict, type: "https://ticketd.dev/problems/sold-out")
            }
        }
    }

    @Test func perUserLimitIs403Problem() async throws {
        let app = TestApp(store: FakeTicketStore(capacities: [10], perUserLimit: 2))
        try await app.test { client in
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/buy/1", method: .post, headers: [.xUserIDForTests: "dave"]).status == .created)
            }
            try await client.execute(uri: "/buy/1", method: .post, headers: [.xUserIDForTests: "dave"]) { response in
                try expectProblem(response, status: .forbidden, type: "https://ticketd.dev/problems/user-limit-reached")
            }
            // Another buyer is not affected.
            #expect(try await client.execute(uri: "/buy/1", method: .post, headers: [.xUserIDForTests: "erin"]).status == .created)
        }
    }

    @Test func unavailableStoreIs503WithRetryAfter() async throws {
        let store = FakeTicketStore()
        store.configure { $0.purchaseFailure = PurchaseError(.unavailable, "redis down, fallback empty") }
        let app = TestApp(store: store)
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post) { response in
                try expectProblem(response, status: .serviceUnavailable, type: "https://ticketd.dev/problems/store-unavailable")
                #expect(response.headers[.retryAfter] == "1")
            }
        }
        // A notice, not a warning: an outage makes one per purchase (a purchase that may have been recorded warns).
        #expect(app.logs.all.contains { $0.level == .notice && $0.metadata["outcome"] == "unavailable" })
    }

    /// A buyer without a key cannot repeat the purchase to learn its outcome (a repeat is a new purchase): the
    /// problem names the ticket's address instead, where a recorded sale's ticket turns up.
    @Test func aPurchaseThatMayHaveBeenRecordedTellsItsBuyerHowToLearnTheOutcome() async throws {
        let store = FakeTicketStore()
        store.configure { $0.purchaseFailure = PurchaseError(.unavailable, "the store did not answer in time", outcomeUnknown: true) }
        let app = TestApp(store: store)
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post) { response in
                try expectProblem(response, status: .serviceUnavailable, type: "https://ticketd.dev/problems/store-unavailable")
                let body = try response.json()
                let id = try #require(body["purchaseId"] as? String)
                #expect(body["ticketUrl"] as? String == "/tickets/\(id)")
                let detail = try #require(body["detail"] as? String)
                #expect(detail.contains("/tickets/\(id)") && !detail.contains("same Idempotency-Key"), "\(detail)")
            }
            try await client.execute(uri: "/buy/1", method: .post, headers: [.idempotencyKeyForTests: "order-9"]) { response in
                let body = try response.json()
                #expect((body["detail"] as? String)?.contains("repeat the request with the same Idempotency-Key") == true, "\(body)")
                #expect(body["purchaseId"] is String && body["ticketUrl"] is String)
            }
        }
        #expect(app.logs.all.contains { $0.level == .warning && $0.message.contains("may have been recorded") })
    }

    /// RFC 3986: a percent-encoded unreserved character is the character itself.
    @Test func aPercentEncodedEventIDNamesTheSameEvent() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/%31", method: .post) { response in
                #expect(response.status == .created)
                let body = try response.json()
                #expect(body["eventId"] as? String == "1")
            }
        }
    }

    @Test(arguments: ["a%7Bb%7D", "a{b}", String(repeating: "x", count: 65), "%00", "a%20b", "caf%C3%A9", "%3", "%zz", "%FF"])
    func invalidEventIDIs400NamingTheField(eventID: String) async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/\(eventID)", method: .post) { response in
                try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/invalid-request")
                #expect(try response.json()["field"] as? String == "eventId")
            }
        }
        #expect(app.store.read { $0.purchaseCalls } == 0)
    }

    @Test(arguments: [#"{"userId": "has space"}"#, #"{"userId": ""}"#, #"{"userId": 42}"#, #"{"userId": "\#(String(repeating: "u", count: 129))"}"#])
    func invalidUserIDInBodyIs400(body: String) async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post, headers: [.contentType: "application/json"], body: .json(body)) { response in
                try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/invalid-request")
                #expect(try response.json()["field"] as? String == "userId")
            }
        }
    }

    @Test func invalidUserIDHeaderIs400() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post, headers: [.xUserIDForTests: "no/slashes"]) { response in
                try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/invalid-request")
                #expect(try response.json()["field"] as? String == "X-User-Id")
            }
        }
    }

    /// A header given twice read as its values joined (`z1, z2`), and was refused as a malformed value.
    @Test func aHeaderGivenTwiceIs400SayingSo() async throws {
        let app = TestApp()
        try await app.test { client in
            for (field, name) in [(HTTPField.Name.idempotencyKeyForTests, "Idempotency-Key"), (.xUserIDForTests, "X-User-Id")] {
                var headers = HTTPFields()
                headers.append(HTTPField(name: field, value: "z1"))
                headers.append(HTTPField(name: field, value: "z2"))
                try await client.execute(uri: "/buy/1", method: .post, headers: headers) { response in
                    try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/invalid-request")
                    let body = try response.json()
                    #expect(body["field"] as? String == name && body["detail"] as? String == "\(name) is given 2 times; give it once", "\(body)")
                }
            }
        }
    }

    @Test func invalidIdempotencyKeyIs400() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post, headers: [.idempotencyKeyForTests: "has space"]) { response in
                try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/invalid-request")
                #expect(try response.json()["field"] as? String == "Idempotency-Key")
            }
        }
    }

    @Test(arguments: ["{", "not json", "[]", #""alice""#, #"{"userId": "a""#])
    func malformedJSONIs400(body: String) async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post, headers: [.contentType: "application/json"], body: .json(body)) { response in
                try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/malformed-body")
            }
        }
        #expect(app.store.read { $0.purchaseCalls } == 0)
    }

    @Test func nonJSONContentTypeIs415() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post, headers: [.contentType: "text/plain"], body: .json("userId=alice")) { response in
                try expectProblem(response, status: .unsupportedMediaType, type: "https://ticketd.dev/problems/unsupported-media-type")
            }
        }
    }

    @Test func emptyBodyWithAnyContentTypeIsAnonymous() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post, headers: [.contentType: "text/plain"], body: .json("  \n")) { response in
                #expect(response.status == .created)
            }
        }
    }

    @Test func oversizedBodyIs413Problem() async throws {
        let app = TestApp()
        try await app.test { client in
            let body = #"{"userId": "a", "pad": ""# + String(repeating: "x", count: 20_000) + #""}"#
            try await client.execute(uri: "/buy/1", method: .post, headers: [.contentType: "application/json"], body: .json(body)) { response in
                try expectProblem(response, status: .contentTooLarge, type: "https://ticketd.dev/problems/content-too-large")
            }
        }
        #expect(app.store.read { $0.purchaseCalls } == 0)
    }

    /// ticketd decodes no content coding: a gzipped body was a 400 `malformed-body`; RFC 9110 asks for 415 and
    /// `Accept-Encoding`.
    @Test func anEncodedBodyIs415() async throws {
        let app = TestApp()
        try await app.test { client in
            let headers: HTTPFields = [.contentType: "application/json", .contentEncoding: "gzip"]
            try await client.execute(uri: "/buy/1", method: .post, headers: headers, body: .json(#"{"userId": "a"}"#)) { response in
                try expectProblem(response, status: .unsupportedMediaType, type: "https://ticketd.dev/problems/unsupported-media-type")
                #expect(response.headers[.acceptEncoding] == "identity")
            }
        }
        #expect(app.store.read { $0.purchaseCalls } == 0)
    }

    @Test func conflictingUserIDsAre400() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.execute(
                uri: "/buy/1",
                method: .post,
                headers: [.contentType: "application/json", .xUserIDForTests: "mallory"],
                body: .json(#"{"userId": "alice"}"#)
            ) { response in
                try expectProblem(response, status: .badRequest, type: "https://ticketd.dev/problems/conflicting-user-id")
            }
        }
        #expect(app.store.read { $0.purchaseCalls } == 0)
    }

    @Test func purchaseLogLineCarriesRequestIDAndIDs() async throws {
        let app = TestApp()
        let purchaseID = try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post, headers: [.xRequestIDForTests: "trace-abc.123", .xUserIDForTests: "alice"]) {
                response in
                #expect(response.headers[.xRequestIDForTests] == "trace-abc.123")
                return try response.json()["purchaseId"] as? String
            }
        }
        let line = try #require(app.logs.all.first { $0.message == "purchase" })
        #expect(line.level == .info)
        #expect(line.metadata["request_id"] == "trace-abc.123")
        #expect(line.metadata["event_id"] == "1")
        #expect(line.metadata["purchase_id"]?.description == purchaseID)
        #expect(line.metadata["ticket_id"] == "1-1")
        #expect(line.metadata["user_id"] == "alice")
        #expect(line.metadata["outcome"] == "purchased")
        #expect(line.metadata["hb.request.id"] == nil)
    }
}

/// Checks that `response` is an RFC 9457 problem with the given status and type, `status` member included.
func expectProblem(_ response: TestResponse, status: HTTPResponse.Status, type: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(response.status == status, sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
    let body = try response.json()
    #expect(body["status"] as? Int == status.code, sourceLocation: sourceLocation)
    #expect(body["type"] as? String == type, sourceLocation: sourceLocation)
    #expect((body["title"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
    #expect((body["detail"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(body["instance"] is String, sourceLocation: sourceLocation)
    #expect(body["requestId"] as? String == response.headers[.xRequestIDForTests], sourceLocation: sourceLocation)
}
