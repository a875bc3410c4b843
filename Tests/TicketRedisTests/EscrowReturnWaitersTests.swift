import RedisTestSupport
import Synchronization
import Testing
import TicketCore

@testable import TicketRedis

/// The waiting room of buyers whose event's last tickets are in other instances' escrows: one leads, the others
/// wait for its answer to change or their time to run out, and every follower gets a turn.
@Suite(.timeLimit(.minutes(5))) struct EscrowReturnWaitersTests {
    let event = EventID("1")!
    /// The number of buyers waiting, as the waiting room last reported it.
    final class Reported: Sendable {
        private let count = Mutex(0)
        var current: Int { self.count.withLock { $0 } }
        func set(_ value: Int) { self.count.withLock { $0 = value } }
    }

    let waiting = Reported()

    func waiters() -> EscrowReturnWaiters {
        EscrowReturnWaiters { [waiting] count in waiting.set(count) }
    }

    /// Starts `count` followers of `event` with the given deadline, once a leader is there, and waits until all wait.
    func follow(
        _ waiters: EscrowReturnWaiters,
        _ count: Int,
        deadline: ContinuousClock.Instant
    ) async throws -> [Task<EscrowReturnWaiters.Turn, Never>] {
        let before = self.waiting.current
        let followers = (0..<count).map { _ in Task { await waiters.turn(for: self.event, deadline: deadline) } }
        try await waitUntil(timeout: .seconds(5), "\(count) more waiting") { self.waiting.current == before + count }
        return followers
    }

    @Test func aChangedAnswerSendsEveryFollowerToAskAgainAndTheNextToWaitLeads() async throws {
        let waiters = self.waiters()
        let later = ContinuousClock.now + .seconds(60)
        #expect(await waiters.turn(for: self.event, deadline: later) == .lead)
        let followers = try await self.follow(waiters, 5, deadline: later)

        waiters.leave(self.event, now: .now, answerChanged: true)
        for follower in followers { #expect(await follower.value == .retry) }
        #expect(self.waiting.current == 0)
        #expect(await waiters.turn(for: self.event, deadline: later) == .lead, "no one leads after a change")
        #expect(await waiters.turn(for: EventID("2")!, deadline: later) == .lead, "each event has its own leader")
        #expect(self.waiting.current == 2)
    }

    @Test func aLeaderWhoseTimeIsUpHandsOnToTheFirstFollowerWhoseTimeIsNot() async throws {
        let waiters = self.waiters()
        let now = ContinuousClock.now
        #expect(await waiters.turn(for: self.event, deadline: now) == .lead)
        let expired = try await self.follow(waiters, 2, deadline: now)
        let next = try await self.follow(waiters, 1, deadline: now + .seconds(60))
        let last = try await self.follow(waiters, 1, deadline: now + .seconds(60))

        waiters.leave(self.event, now: now + .milliseconds(1), answerChanged: false)
        for follower in expired { #expect(await follower.value == .timeUp) }
        #expect(await next[0].value == .lead)
        #expect(self.waiting.current == 2, "the new leader and the last follower")

        waiters.leave(self.event, now: now + .milliseconds(2), answerChanged: false)
        #expect(await last[0].value == .lead)
        waiters.leave(self.event, now: now + .milliseconds(3), answerChanged: false)
        #expect(self.waiting.current == 0)
    }

    @Test func theLeadersPollSendsAwayOnlyTheFollowersWhoseTimeIsUp() async throws {
        let waiters = self.waiters()
        let now = ContinuousClock.now
        #expect(await waiters.turn(for: self.event, deadline: now + .seconds(60)) == .lead)
        let late = try await self.follow(waiters, 1, deadline: now + .seconds(60))
        let early = try await self.follow(waiters, 2, deadline: now + .milliseconds(10))

        waiters.expire(self.event, now: now + .milliseconds(5))
        #expect(self.waiting.current == 4, "no one's time is up yet")
        waiters.expire(self.event, now: now + .milliseconds(10))
        for follower in early { #expect(await follower.value == .timeUp) }
        #expect(self.waiting.current == 2)

        waiters.leave(self.event, now: now + .milliseconds(20), answerChanged: true)
        #expect(await late[0].value == .retry)
    }
}
