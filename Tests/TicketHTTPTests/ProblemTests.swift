import Foundation
import Hummingbird
import Testing

@testable import TicketHTTP

@Suite struct ProblemTests {
    @Test func bodyHasStandardMembersAndExtensionsWithoutOverride() throws {
        var problem = Problem(.soldOut, detail: "gone", instance: "/buy/1", extensions: ["eventId": "1", "status": 200, "type": "x"])
        problem.headers[.retryAfter] = "5"
        let response = problem.response()
        #expect(response.status == .conflict)
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(response.headers[.retryAfter] == "5")
        let body = try #require(try JSONSerialization.jsonObject(with: problem.encodedBody()) as? [String: Any])
        #expect(body["type"] as? String == "https://ticketd.dev/problems/sold-out")
        #expect(body["title"] as? String == "Sold out")
        #expect(body["status"] as? Int == 409)
        #expect(body["detail"] as? String == "gone")
        #expect(body["instance"] as? String == "/buy/1")
        #expect(body["eventId"] as? String == "1")
        #expect(body.count == 6)
    }

    @Test func typeURIsAreUniqueAndUnderTheBase() {
        let all: [ProblemType] = [
            .invalidRequest, .malformedBody, .conflictingUserID, .unauthorized, .userLimitReached, .routeNotFound, .unknownEvent,
            .methodNotAllowed, .soldOut, .auditFailed, .escrowReleaseRefused, .contentTooLarge, .unsupportedMediaType, .requestHeadTooLarge,
            .internalError, .storeUnavailable,
        ]
        #expect(Set(all.map(\.uri)).count == all.count)
        #expect(all.allSatisfy { $0.uri.hasPrefix(ProblemType.base) })
        #expect(ProblemType.httpStatus(.contentTooLarge).uri == "about:blank")
    }
}
