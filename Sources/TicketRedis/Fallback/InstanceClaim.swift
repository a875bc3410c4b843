import RESPClient

/// What claiming an instance id for a fallback directory found (``FallbackTicketStore/claimInstanceID()``).
public enum InstanceClaim: Sendable {
    /// The id is this directory's, until it stops renewing the claim.
    case claimed
    /// Another directory holds the id: another instance runs under it. Its claim was renewed this long ago.
    case heldElsewhere(renewedAgo: Duration)
    /// Redis could not answer.
    case unknown(RedisError)
}
