import RESPClient

/// What claiming an instance id for a fallback directory found (``FallbackTicketStore/claimInstanceID()``).
public enum InstanceClaim: Sendable {
    /// The id is this directory's and this process's, until it stops renewing the claim.
    case claimed
    /// Another directory holds the id: another instance runs under it, or one stopped without a graceful stop. Its
    /// claim was renewed this long ago.
    case heldElsewhere(renewedAgo: Duration)
    /// Another process holds the id for this directory, or for a copy of it, and renewed the claim this long ago:
    /// this directory's previous process, just gone, or a copy run beside this one.
    case heldByAnotherProcess(renewedAgo: Duration)
    /// Redis could not answer.
    case unknown(RedisError)
}
