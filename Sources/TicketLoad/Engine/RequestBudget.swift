import Synchronization

/// The requests left to send in a `--requests` run, shared by every event loop.
///
/// A class only so that the atomic has one address that all loops share; its only state is that atomic.
final class RequestBudget: Sendable {
    private let remaining: Atomic<Int>

    /// A budget of `total` requests, or an endless one for `nil`.
    init(total: Int?) {
        self.remaining = Atomic(total ?? .max)
    }

    /// Takes one request from the budget; `false` once it is spent.
    func take() -> Bool {
        var current = self.remaining.load(ordering: .relaxed)
        while current > 0 {
            let (exchanged, original) = self.remaining.compareExchange(
                expected: current,
                desired: current - 1,
                ordering: .relaxed
            )
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Whether every request has been handed out.
    var isSpent: Bool { self.remaining.load(ordering: .relaxed) <= 0 }
}
