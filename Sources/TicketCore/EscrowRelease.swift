/// What `POST /admin/escrow/release` did with a gone instance's escrow.
public struct EscrowRelease: Sendable, Hashable, Codable {
    /// The instance whose escrow it was.
    public var instanceID: InstanceID
    /// Whether the escrow went back to the pool.
    public var released: Bool
    /// Whether it went back although the checks refused it (or would have).
    public var forced: Bool
    /// Tickets that went back, per event id.
    public var tickets: [String: Int]
    /// Why a release without `force` is refused, or `nil` when nothing stands against it.
    public var refusal: String?
    /// The instance's last report in Redis, if it ever made one.
    public var lastReport: InstanceReport?

    /// Creates a result.
    public init(instanceID: InstanceID, released: Bool, forced: Bool, tickets: [String: Int], refusal: String?, lastReport: InstanceReport?) {
        self.instanceID = instanceID
        self.released = released
        self.forced = forced
        self.tickets = tickets
        self.refusal = refusal
        self.lastReport = lastReport
    }
}
