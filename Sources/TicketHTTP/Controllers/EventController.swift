import HTTPTypes
import Hummingbird
import Logging
import TicketCore

/// `GET /events` and `GET /events/:eventId`.
struct EventController: Sendable {
    let store: any TicketStore

    /// `GET /events`: every event with its counts.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> EventsResponse {
        do {
            return EventsResponse(events: try await self.store.events())
        } catch {
            context.logger.warning("store unavailable", metadata: ["error": "\(error)"])
            throw Problem.unavailable(detail: "the ticket store cannot be read now")
        }
    }

    /// `GET /events/:eventId`: one event; 400 for an invalid id, 404 for an unknown one.
    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> EventSnapshot {
        let eventID = try PurchaseController.eventID(context)
        let snapshot: EventSnapshot?
        do {
            snapshot = try await self.store.event(eventID)
        } catch {
            context.logger.warning("store unavailable", metadata: ["event_id": "\(eventID)", "error": "\(error)"])
            throw Problem.unavailable(detail: "the ticket store cannot be read now")
        }
        guard let snapshot else {
            throw Problem(.unknownEvent, detail: "no event has id \(eventID)", extensions: ["eventId": eventID.rawValue])
        }
        return snapshot
    }
}

extension EventSnapshot: ResponseEncodable {}
