import Foundation
import RESPClient

/// The Lua scripts that ship with the target (`Scripts/*.lua`), read once.
enum TicketScripts {
    /// Sells one ticket: idempotency, per-user limit, pop, ledger (`purchase.lua`).
    static let purchase = load("purchase")
    /// One event's description and counts (`snapshot.lua`).
    static let snapshot = load("snapshot")
    /// Appends a range of ticket ids to a pool being seeded (`fill-pool.lua`).
    static let fillPool = load("fill-pool")
    /// Publishes a seeded pool with its description (`finish-seed.lua`).
    static let finishSeed = load("finish-seed")
    /// Begins or gives up a reset: no more escrow of the event is taken, and every instance gives its own back
    /// (`recall-escrows.lua`).
    static let recallEscrows = load("recall-escrows")
    /// Deletes an event once no instance holds an escrow of it, for a reseed (`reset-event.lua`).
    static let resetEvent = load("reset-event")
    /// An event's pool and escrows, read at one moment for the audit (`audit-stock.lua`).
    static let auditStock = load("audit-stock")
    /// Moves tickets from the pool into an instance's escrow (`escrow-take.lua`).
    static let escrowTake = load("escrow-take")
    /// Gives an instance's escrow back to the pool (`escrow-return.lua`).
    static let escrowReturn = load("escrow-return")
    /// Records fallback sales from a journal, idempotently (`settle.lua`).
    static let settle = load("settle")
    /// Claims an instance id for one fallback directory, or gives it up (`claim-instance.lua`).
    static let claimInstance = load("claim-instance")

    /// Gives up a striped event's lock on a purchase id, if it is still the caller's (`unlock-purchase.lua`).
    static let unlockPurchase = load("unlock-purchase")
    /// Changes nothing, and is refused whenever Redis refuses writes (`writable.lua`).
    static let writable = load("writable")

    /// The scripts of the purchase path and its health probe, for `SCRIPT LOAD` at start-up (the seeder's load on
    /// first use).
    static let servingScripts = [purchase, snapshot, unlockPurchase, writable]
    /// The fallback's scripts, read from the bundle when the fallback opens: read on first use instead, a process
    /// out of file descriptors by then would find them missing, which is fatal.
    static let fallbackScripts = [escrowTake, escrowReturn, settle, claimInstance]

    private static func load(_ name: String) -> RedisScript {
        guard let url = Bundle.module.url(forResource: name, withExtension: "lua", subdirectory: "Scripts"),
            let source = try? String(contentsOf: url, encoding: .utf8)
        else {
            fatalError("the script \(name).lua is missing from the TicketRedis bundle")
        }
        return RedisScript(source)
    }
}
