import Testing

@testable import TicketLoad

/// What each request buys.
@Suite struct RequestPlannerTests {
    private func configuration(events: [String] = ["1"], users: Int? = nil, replayShare: Double = 0) throws -> LoadConfiguration {
        var configuration = LoadConfiguration(target: try TargetURL("http://localhost:1"), events: events)
        configuration.users = users
        configuration.replayShare = replayShare
        return configuration
    }

    @Test func eventsGoRoundRobinAndBuyersAreAnonymousByDefault() throws {
        var planner = RequestPlanner(configuration: try self.configuration(events: ["a", "b", "c"]), keyPrefix: "k", seed: 1)
        let requests = (0..<6).map { _ in planner.next() }
        #expect(requests.map(\.eventIndex) == [1, 2, 0, 1, 2, 0])
        #expect(requests.allSatisfy { $0.user == nil && $0.idempotencyKey == nil && $0.replayOf == nil })
    }

    @Test func buyersAreNamedFromThePool() throws {
        var planner = RequestPlanner(configuration: try self.configuration(users: 3), keyPrefix: "k", seed: 1)
        let users = Set((0..<100).compactMap { _ in planner.next().user })
        #expect(users == ["load-user-0", "load-user-1", "load-user-2"])
    }

    @Test func replaysRepeatARememberedSaleWithItsKeyBuyerAndEvent() throws {
        var planner = RequestPlanner(configuration: try self.configuration(users: 5, replayShare: 1), keyPrefix: "run-0", seed: 1)
        let first = planner.next()
        #expect(first.idempotencyKey == "run-0-1")
        #expect(first.replayOf == nil)
        let sale = SaleRecord(event: "1", ticketId: "9", purchaseId: "p9", user: first.user, idempotencyKey: first.idempotencyKey)
        planner.remember(sale)
        let replay = planner.next()
        #expect(replay.replayOf == sale)
        #expect(replay.idempotencyKey == "run-0-1")
        #expect(replay.user == first.user)
    }
}
