/// Why a purchase sold nothing.
///
/// Refusals (``Code-swift.struct/soldOut``, ``Code-swift.struct/unknownEvent``, ``Code-swift.struct/userLimitReached``)
/// changed nothing; ``Code-swift.struct/unavailable`` means no store could answer, and nothing was sold.
public struct PurchaseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; a struct with static members so that new kinds do not break callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String { case soldOut, escrowHeld, unknownEvent, userLimitReached, unavailable }
        private let base: Base
        /// Every ticket of the event is sold.
        public static let soldOut = Code(base: .soldOut)
        /// The event's pool is empty, but instances still hold some of its tickets in escrow (see the fallback),
        /// which go back to the pool within seconds; nothing was sold. Try again soon.
        public static let escrowHeld = Code(base: .escrowHeld)
        /// No event has this id.
        public static let unknownEvent = Code(base: .unknownEvent)
        /// The buyer already holds as many tickets of this event as one buyer may.
        public static let userLimitReached = Code(base: .userLimitReached)
        /// The ticket store cannot be reached now; nothing was sold. Try again later.
        public static let unavailable = Code(base: .unavailable)
        public var description: String { self.base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// Details for logs and for the buyer.
    public let message: String
    /// Whether the store certainly never received the purchase (Redis unreachable before sending), so that
    /// another store may sell in its place without any risk of a second sale under the same purchase id.
    public let nothingSent: Bool
    /// Whether the store may have sold the ticket after all (Redis received the purchase but its answer was lost):
    /// the sale must be neither denied nor made a second time under this purchase id.
    public let outcomeUnknown: Bool
    /// The store's own words when it answered that it takes no writes now (out of memory, unable to persist,
    /// read-only), and so certainly sold nothing: another store may sell in its place, as with ``nothingSent``,
    /// though this one is up.
    public let writeRefusal: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, nothingSent: Bool = false, outcomeUnknown: Bool = false, writeRefusal: String? = nil) {
        self.code = code
        self.message = message
        self.nothingSent = nothingSent
        self.outcomeUnknown = outcomeUnknown
        self.writeRefusal = writeRefusal
    }

    public var description: String { "\(self.code): \(self.message)" }
}

/// A failure to read from the ticket store (event listings, audits), as opposed to a refused purchase.
public struct TicketStoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { self.message }
}
