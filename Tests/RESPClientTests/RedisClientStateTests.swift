import Testing

@testable import RESPClient

/// The client's breaker and lifecycle rules, without connections.
@Suite struct RedisClientStateTests {
    static let refused = RedisError.notSent(.connectionFailed, "connection refused")

    static func reason(_ result: RedisClientState.LeaseResult) -> RedisError.Reason? {
        if case .fail(let error) = result { return error.reason }
        return nil
    }

    static func waits(_ result: RedisClientState.LeaseResult) -> Bool {
        if case .wait = result { return true }
        return false
    }

    @Test func commandsFailAtOnceUnlessRunning() {
        var state = RedisClientState(slotCount: 2, failureThreshold: 1)
        let lease = state.lease()
        #expect(Self.reason(lease) == .clientNotRunning)
        let first = state.start()
        let second = state.start()
        #expect(first)
        #expect(!second)
        _ = state.beginShutdown()
        let lease1 = state.lease()
        #expect(Self.reason(lease1) == .shuttingDown)
        _ = state.finish()
        let lease2 = state.lease()
        #expect(Self.reason(lease2) == .clientNotRunning)
    }

    @Test func callersWaitForTheFirstAttemptThenTheBreakerFailsThemFast() {
        var state = RedisClientState(slotCount: 2, failureThreshold: 2)
        _ = state.start()
        #expect(state.health == .down)
        let lease3 = state.lease()
        #expect(Self.waits(lease3))
        let (_, _, openedAfterOne) = state.connectFailed(Self.refused)
        #expect(!openedAfterOne)
        let lease4 = state.lease()
        #expect(Self.waits(lease4))
        let (_, _, openedAfterTwo) = state.connectFailed(Self.refused)
        #expect(openedAfterTwo)
        let lease5 = state.lease()
        #expect(Self.reason(lease5) == .circuitOpen)
        let (_, _, openedAgain) = state.connectFailed(Self.refused)
        #expect(!openedAgain, "the breaker opens once, not on every failure")
    }

    @Test func onlySlotZeroProbesWhileTheBreakerIsOpen() {
        var state = RedisClientState(slotCount: 3, failureThreshold: 1)
        _ = state.start()
        #expect(state.slotAction(1) == .connect)
        _ = state.connectFailed(Self.refused)
        #expect(state.slotAction(0) == .connect)
        #expect(state.slotAction(1) == .waitForProbe)
        #expect(state.slotAction(2) == .waitForProbe)
        _ = state.beginShutdown()
        #expect(state.slotAction(0) == .stop)
    }
}
