import Synchronization

/// Whether a purchase batch whose outcome Redis left unknown (a timeout, a lost connection) is sent again, with the
/// same purchase ids, up to ``RedisTicketStore/attemptsOnUnknownOutcome`` times.
///
/// Not while the fallback sells from escrow: it has found Redis hanging or holding writes, and asking again would
/// only keep the batch's buyers waiting another command timeout each time. Black-box testing found purchases already
/// sent when Redis began to hold writes answered after three timeouts (6 s), while new ones sold from escrow at once.
/// They are answered after the first now, from escrow or with "may have been recorded", as when the attempts run out.
final class UnknownOutcomeRetries: Sendable {
    private let allowed = Atomic<Bool>(true)

    /// Whether batches are sent again.
    var areAllowed: Bool { self.allowed.load(ordering: .relaxed) }

    /// Allows or stops sending batches again.
    func allow(_ allowed: Bool) { self.allowed.store(allowed, ordering: .relaxed) }
}
