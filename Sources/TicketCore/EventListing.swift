/// The events a store could read, and those it could not: with Redis Cluster, the events of a shard that is down,
/// while the other shards answer.
public struct EventListing: Sendable, Hashable {
    /// The events read, ordered by id.
    public var events: [EventSnapshot]
    /// The events that could not be read, with why.
    public var unreadable: [EventID: String]

    /// Creates a listing.
    public init(events: [EventSnapshot], unreadable: [EventID: String] = [:]) {
        self.events = events
        self.unreadable = unreadable
    }

    /// Why the listing is incomplete, naming the unreadable events; `nil` when it is complete.
    public var incompleteness: String? {
        guard let reason = self.unreadable.values.first else { return nil }
        let ids = self.unreadable.keys.map(\.rawValue).sorted().joined(separator: ", ")
        return "cannot read event(s) \(ids): \(reason)"
    }
}
