/// Where a store with a fallback sells from.
public enum FallbackMode: String, Sendable, Hashable, Codable {
    /// From Redis's shared pool.
    case redis
    /// From this instance's escrow, each sale journaled on local disk until Redis records it.
    case fallback
}
