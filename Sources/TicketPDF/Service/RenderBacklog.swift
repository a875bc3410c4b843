import DequeModule
import Synchronization
import TicketCore

/// The purchases waiting for their PDF: fed by every sale without waiting, drained by one dispatcher.
///
/// Bounded: a sale that finds it full is not queued (a sale never waits for PDF work); instead the next work handed
/// out is a scan of the ledger, which finds every purchase still without a PDF. The same scan runs first after a
/// start, so the backlog survives a crash: the ledger is the truth, the queue only a shortcut.
final class RenderBacklog: Sendable {
    /// What the dispatcher should do next.
    enum Work: Sendable, Equatable {
        /// Render this sale's ticket.
        case render(TicketSale)
        /// Scan the ledger for purchases without a ticket.
        case scanLedger
    }

    private struct State {
        var queue = Deque<TicketSale>()
        var queued = Set<PurchaseID>()
        var scanNeeded: Bool
        var waiter: CheckedContinuation<Work?, Never>?
        var finished = false
    }

    /// The most purchases queued at once.
    let capacity: Int
    private let state: Mutex<State>

    /// Creates a backlog; with `scanFirst`, the first work is a ledger scan.
    init(capacity: Int, scanFirst: Bool) {
        self.capacity = capacity
        self.state = Mutex(State(scanNeeded: scanFirst))
    }

    /// Queues `purchase` unless it is queued already; never waits.
    /// - Returns: `false` when the backlog is full (a ledger scan is then scheduled) or finished.
    @discardableResult
    func submit(_ sale: TicketSale) -> Bool {
        let purchase = sale.purchase
        let (accepted, waiter): (Bool, CheckedContinuation<Work?, Never>?) = self.state.withLock { state in
            guard !state.finished else { return (false, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (true, waiter)
            }
            guard !state.queued.contains(purchase.purchaseID) else { return (true, nil) }
            guard state.queue.count < self.capacity else {
                state.scanNeeded = true
                return (false, nil)
            }
            state.queue.append(sale)
            state.queued.insert(purchase.purchaseID)
            return (true, nil)
        }
        waiter?.resume(returning: .render(sale))
        return accepted
    }

    /// Asks for a ledger scan as the next work once the queue is empty.
    func requestScan() {
        let waiter: CheckedContinuation<Work?, Never>? = self.state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.scanNeeded = true
            return nil
        }
        waiter?.resume(returning: .scanLedger)
    }

    /// The next work: a queued purchase first, then a pending scan; waits while there is neither. `nil` once the
    /// backlog is finished or the calling task is cancelled, even with purchases still queued. One caller at a time.
    func next() async -> Work? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Work?, Never>) in
                let ready: Work?? = self.state.withLock { state in
                    if state.finished { return .some(nil) }
                    if let work = Self.take(&state) { return .some(work) }
                    precondition(state.waiter == nil, "RenderBacklog.next() has one caller at a time")
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            self.finish()
        }
    }

    /// The next queued purchase, if any, without waiting: lets fresh sales go before a long scan's finds. `nil` once
    /// the backlog is finished.
    func poll() -> TicketSale? {
        self.state.withLock { state in
            guard !state.finished, let sale = state.queue.popFirst() else { return nil }
            state.queued.remove(sale.purchase.purchaseID)
            return sale
        }
    }

    /// Purchases queued now.
    var count: Int { self.state.withLock { $0.queue.count } }

    /// Stops handing out work; a waiting ``next()`` returns `nil`. What is still queued stays in the ledger.
    func finish() {
        let waiter: CheckedContinuation<Work?, Never>? = self.state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    private static func take(_ state: inout State) -> Work? {
        if let sale = state.queue.popFirst() {
            state.queued.remove(sale.purchase.purchaseID)
            return .render(sale)
        }
        if state.scanNeeded {
            state.scanNeeded = false
            return .scanLedger
        }
        return nil
    }
}
