import Synchronization
import TicketCore

/// The buyers of each event who wait for other instances' escrows to come back to an empty pool (see
/// `FallbackTicketStore.purchaseOnceEscrowsReturn`). One of them, the leader, asks Redis again at every poll; the
/// others wait until the leader's answer changes or their time is up. So the wait costs Redis one purchase per poll
/// and event, however many buyers wait: 200 buyers asking each on their own cost Redis some 4,000 script calls a
/// second.
///
/// A leader must leave through ``leave(_:now:answerChanged:)``, whatever ends its wait: the followers' turns come
/// only from there and from ``expire(_:now:)``.
final class EscrowReturnWaiters: Sendable {
    /// What a waiting buyer does next.
    enum Turn: Equatable, Sendable {
        /// Ask Redis at every poll for everyone, until the answer changes or this buyer's time is up.
        case lead
        /// Ask Redis once more: the leader's answer changed.
        case retry
        /// Give up: this buyer's time is up.
        case timeUp
    }

    private struct Follower {
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Turn, Never>
    }

    /// The events with a leader, and who follows it, in order of arrival.
    private let events = Mutex<[EventID: [Follower]]>([:])
    private let reportWaiting: @Sendable (Int) -> Void

    /// Creates an empty waiting room that calls `reportWaiting` with the number of buyers waiting (leaders and
    /// followers) whenever it changes.
    init(reportWaiting: @escaping @Sendable (Int) -> Void) { self.reportWaiting = reportWaiting }

    /// Waits for the buyer's next turn: ``Turn/lead`` at once when no one leads the wait for `event`, else once the
    /// leader's answer changes, or at the first poll after `deadline`.
    func turn(for event: EventID, deadline: ContinuousClock.Instant) async -> Turn {
        await withCheckedContinuation { continuation in
            let leads = self.events.withLock { events -> Bool in
                defer { self.recordWaiting(events) }
                guard events[event] != nil else {
                    events[event] = []
                    return true
                }
                events[event]!.append(Follower(deadline: deadline, continuation: continuation))
                return false
            }
            if leads { continuation.resume(returning: .lead) }
        }
    }

    /// Tells the followers whose time is up, at a poll of the leader.
    func expire(_ event: EventID, now: ContinuousClock.Instant) {
        let expired = self.events.withLock { events -> [Follower] in
            guard let followers = events[event] else { return [] }
            let (expired, remaining) = Self.split(followers, at: now)
            guard !expired.isEmpty else { return [] }
            events[event] = remaining
            self.recordWaiting(events)
            return expired
        }
        for follower in expired { follower.continuation.resume(returning: .timeUp) }
    }

    /// The leader stops waiting. When its answer changed (a ticket, sold out, any answer but "held in escrow"),
    /// every follower asks once more and the next to wait leads; otherwise (its time is up) the followers whose
    /// time is up give up too, and the first of the others leads.
    func leave(_ event: EventID, now: ContinuousClock.Instant, answerChanged: Bool) {
        let turns = self.events.withLock { events -> [(Follower, Turn)] in
            defer { self.recordWaiting(events) }
            guard let followers = events.removeValue(forKey: event) else { return [] }
            if answerChanged { return followers.map { ($0, .retry) } }
            var (expired, remaining) = Self.split(followers, at: now)
            var turns = expired.map { ($0, Turn.timeUp) }
            if !remaining.isEmpty {
                turns.append((remaining.removeFirst(), .lead))
                events[event] = remaining
            }
            return turns
        }
        for (follower, turn) in turns { follower.continuation.resume(returning: turn) }
    }

    /// The followers whose time is up at `now`, and the others, each in order of arrival.
    private static func split(_ followers: [Follower], at now: ContinuousClock.Instant) -> (expired: [Follower], remaining: [Follower]) {
        (followers.filter { $0.deadline <= now }, followers.filter { $0.deadline > now })
    }

    /// Reports each event's leader and followers.
    private func recordWaiting(_ events: [EventID: [Follower]]) {
        self.reportWaiting(events.values.reduce(0) { $0 + 1 + $1.count })
    }
}
