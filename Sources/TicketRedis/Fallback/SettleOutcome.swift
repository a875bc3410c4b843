/// What settling one journaled fallback sale did to Redis (the codes of `settle.lua`).
public enum SettleOutcome: Int, Sendable, Hashable {
    /// The ledger held this very sale already: nothing changed (a journal replayed twice).
    case alreadySettled = 0
    /// Recorded: in the ledger, out of the escrow, the buyer's count raised.
    case recorded = 1
    /// Recorded over Redis's own sale of the same purchase id: Redis's ticket went back to the pool.
    case replacedRedisSale = 2
    /// Recorded, but the ticket was no longer in the escrow (released by force): a conflict for the audit.
    case notInEscrow = 3
    /// Not recorded: Redis no longer describes the event (its data lost, or the event deleted). The sale is dropped
    /// from the journal with an error in the log: its buyer holds a ticket that no ledger records.
    case eventGone = 4

    /// Whether settling found Redis disagreeing with the journal.
    public var isConflict: Bool { self == .replacedRedisSale || self == .notInEscrow }
}
