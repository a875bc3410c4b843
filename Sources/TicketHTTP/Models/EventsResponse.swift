import Hummingbird
import TicketCore

/// The body of `GET /events`: `{"events": [EventSnapshot]}`, ordered by event id.
public struct EventsResponse: ResponseCodable, Sendable, Hashable {
    /// Every event with its counts.
    public var events: [EventSnapshot]

    /// Creates the list.
    public init(events: [EventSnapshot]) { self.events = events }
}
