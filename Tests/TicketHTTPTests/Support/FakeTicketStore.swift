import Synchronization
import TicketCore

/// An in-memory `TicketStore` for route tests: events with ticket pools, idempotent purchase ids, per-buyer limits,
/// and switches to make it fail.
final class FakeTicketStore: TicketStore {
    struct Event {
        var snapshot: EventSnapshot
        var pool: [String]
    }

    struct State {
        var events: [EventID: Event] = [:]
        var purchases: [PurchaseID: Purchase] = [:]
        var held: [EventID: [UserID: Int]] = [:]
        /// When set, every purchase fails with this error (before touching anything).
        var purchaseFailure: PurchaseError?
        /// When set, `event(_:)` and `events()` fail with this error.
        var readFailure: TicketStoreError?
        var health = StoreHealth(status: "up", latencyMs: 0.4)
        var purchaseCalls = 0
    }

    private let state = Mutex(State())

    /// Changes the state (to make the store fail, or report another health).
    func configure(_ change: (inout State) -> Void) { self.state.withLock { change(&$0) } }

    /// Reads the state.
    func read<Value>(_ body: (State) -> Value) -> Value { self.state.withLock { body($0) } }

    /// A store with events `"1"`… of the given capacities; each has the given per-buyer limit (0 = none).
    init(capacities: [Int] = [3], perUserLimit: Int = 0) {
        self.state.withLock { state in
            for (index, capacity) in capacities.enumerated() {
                let id = EventID(String(index + 1))!
                let snapshot = EventSnapshot(
                    id: id,
                    name: "Event \(index + 1)",
                    venue: "Hall",
                    startsAt: nil,
                    capacity: capacity,
                    available: capacity,
                    sold: 0,
                    perUserLimit: perUserLimit
                )
                state.events[id] = Event(snapshot: snapshot, pool: (1...max(capacity, 1)).prefix(capacity).map { "\(id)-\($0)" }.reversed())
            }
        }
    }

    func purchase(_ request: PurchaseRequest) async throws(PurchaseError) -> PurchaseResult {
        let result: Result<PurchaseResult, PurchaseError> = self.state.withLock { state in
            state.purchaseCalls += 1
            if let failure = state.purchaseFailure { return .failure(failure) }
            if let existing = state.purchases[request.purchaseID] { return .success(PurchaseResult(purchase: existing, isReplay: true)) }
            guard var event = state.events[request.eventID] else { return .failure(PurchaseError(.unknownEvent, "no event")) }
            if let user = request.userID, event.snapshot.perUserLimit > 0,
                state.held[request.eventID, default: [:]][user, default: 0] >= event.snapshot.perUserLimit
            {
                return .failure(PurchaseError(.userLimitReached, "limit"))
            }
            guard let ticket = event.pool.popLast() else { return .failure(PurchaseError(.soldOut, "sold out")) }
            event.snapshot.available -= 1
            event.snapshot.sold += 1
            state.events[request.eventID] = event
            if let user = request.userID { state.held[request.eventID, default: [:]][user, default: 0] += 1 }
            let purchase = Purchase(
                purchaseID: request.purchaseID,
                eventID: request.eventID,
                ticketID: ticket,
                userID: request.userID,
                purchasedAt: request.requestedAt
            )
            state.purchases[request.purchaseID] = purchase
            return .success(PurchaseResult(purchase: purchase, isReplay: false))
        }
        return try result.get()
    }

    func event(_ id: EventID) async throws(TicketStoreError) -> EventSnapshot? {
        let result: Result<EventSnapshot?, TicketStoreError> = self.state.withLock { state in
            if let failure = state.readFailure { return .failure(failure) }
            return .success(state.events[id]?.snapshot)
        }
        return try result.get()
    }

    func events() async throws(TicketStoreError) -> [EventSnapshot] {
        let result: Result<[EventSnapshot], TicketStoreError> = self.state.withLock { state in
            if let failure = state.readFailure { return .failure(failure) }
            return .success(state.events.values.map(\.snapshot).sorted { $0.id < $1.id })
        }
        return try result.get()
    }

    func health() async -> StoreHealth {
        self.state.withLock { $0.health }
    }
}

/// An auditor that returns a fixed report.
struct FakeAuditor: TicketAuditor {
    let report: AuditReport

    func audit() async throws(TicketStoreError) -> AuditReport { self.report }
}
