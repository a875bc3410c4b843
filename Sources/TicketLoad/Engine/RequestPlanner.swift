/// Decides what each request of one event loop buys: which event (round-robin), which buyer (uniform over
/// `users`), which `Idempotency-Key`, and whether it repeats an earlier sale instead.
///
/// Not thread-safe: each event loop has its own planner, with its own random numbers.
struct RequestPlanner {
    /// Sales whose keys may be repeated, at most this many kept (the most recent).
    static let replayableCapacity = 4096

    private let events: [String]
    private let users: Int?
    private let userPrefix: String
    private let replayShare: Double
    /// Unique per run and event loop, so that keys never repeat across runs or loops by accident.
    private let keyPrefix: String
    private var sequence = 0
    private var replayable: [SaleRecord] = []
    private var replayableNext = 0
    private var random: SplitMix64

    init(configuration: LoadConfiguration, keyPrefix: String, seed: UInt64) {
        self.events = configuration.events
        self.users = configuration.users
        self.userPrefix = configuration.userPrefix
        self.replayShare = configuration.replayShare
        self.keyPrefix = keyPrefix
        self.random = SplitMix64(seed: seed)
    }

    /// The next request.
    mutating func next() -> PlannedRequest {
        if self.replayShare > 0, !self.replayable.isEmpty, Double.random(in: 0..<1, using: &self.random) < self.replayShare {
            let original = self.replayable[Int.random(in: 0..<self.replayable.count, using: &self.random)]
            return PlannedRequest(
                eventIndex: self.events.firstIndex(of: original.event) ?? 0,
                user: original.user,
                idempotencyKey: original.idempotencyKey,
                replayOf: original
            )
        }
        self.sequence += 1
        let user = self.users.map { "\(self.userPrefix)-\(Int.random(in: 0..<$0, using: &self.random))" }
        let key = self.replayShare > 0 ? "\(self.keyPrefix)-\(self.sequence)" : nil
        return PlannedRequest(eventIndex: self.sequence % self.events.count, user: user, idempotencyKey: key)
    }

    /// Makes a sale's key available for repeating (only sales that carried a key).
    mutating func remember(_ sale: SaleRecord) {
        guard self.replayShare > 0, sale.idempotencyKey != nil else { return }
        if self.replayable.count < Self.replayableCapacity {
            self.replayable.append(sale)
        } else {
            self.replayable[self.replayableNext] = sale
            self.replayableNext = (self.replayableNext + 1) % Self.replayableCapacity
        }
    }
}
