import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TicketCore
import TicketPDF
import Tracing

/// `POST /buy/:eventId`: sells one ticket.
///
/// The buyer is named by the JSON body's `userId` or by the `X-User-Id` header (both may be given if they agree);
/// with neither, the purchase is anonymous and per-buyer limits do not apply. An `Idempotency-Key` header makes the
/// request safe to repeat: the same key, buyer and event get the same purchase back (200 with
/// `Idempotent-Replayed: true`) instead of a second ticket.
///
/// | outcome | status | problem type |
/// | --- | --- | --- |
/// | sold | 201 + `Location` | |
/// | replayed | 200 + `Location` | |
/// | invalid id, key, user or body | 400 | ``ProblemType/invalidRequest``, ``ProblemType/malformedBody``, ``ProblemType/conflictingUserID`` |
/// | non-JSON body | 415 | ``ProblemType/unsupportedMediaType`` |
/// | user limit | 403 | ``ProblemType/userLimitReached`` |
/// | unknown event | 404 | ``ProblemType/unknownEvent`` |
/// | sold out | 409 | ``ProblemType/soldOut`` |
/// | store unavailable | 503 + `Retry-After: 1` | ``ProblemType/storeUnavailable`` |
/// | pool empty, tickets still in escrow | 503 + `Retry-After: 1` | ``ProblemType/storeUnavailable`` |
struct PurchaseController: Sendable {
    let store: any TicketStore
    let metrics: AppMetrics
    /// Told of every new sale, to render its ticket in the background; `nil` without PDF tickets.
    let tickets: TicketPDFService?
    /// Keys the purchase ids derived from an `Idempotency-Key` (``AppConfiguration/purchaseIDSecret``).
    let purchaseIDSecret: TicketSigningKey?

    /// The optional JSON body.
    private struct Body: Decodable {
        var userId: String?
    }

    /// `POST /buy/:eventId`.
    @Sendable func buy(_ request: Request, context: AppRequestContext) async throws -> Response {
        let purchaseRequest: PurchaseRequest
        do {
            purchaseRequest = try await self.parse(request, context: context)
        } catch {
            self.metrics.record(.invalid)
            context.logger.debug("purchase refused: invalid request", metadata: ["outcome": "invalid", "error": "\(error)"])
            throw error
        }
        // Once answered, sold or refused: attributes set before would be held through the sale's wait.
        defer { Self.describeSpan(of: purchaseRequest, on: context.recordingSpan) }

        let result: PurchaseResult
        do {
            result = try await self.store.purchase(purchaseRequest)
        } catch {
            throw self.refusal(error, request: purchaseRequest, logger: context.logger)
        }

        let purchase = result.purchase
        let outcome: PurchaseOutcome = result.isReplay ? .replayed : .purchased
        self.metrics.record(outcome)
        if !result.isReplay { self.tickets?.ticketSold(purchase) }
        if context.logger.logLevel <= .info {
            var metadata: Logger.Metadata = [
                "event_id": .string(purchase.eventID.rawValue),
                "purchase_id": .string(purchase.purchaseID.rawValue),
                "ticket_id": .string(purchase.ticketID),
                "outcome": .string(outcome.rawValue),
            ]
            if let user = purchase.userID { metadata["user_id"] = .string(user.rawValue) }
            context.logger.info("purchase", metadata: metadata)
        }

        let body = PurchaseResponse(purchase)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .location: body.ticketUrl]
        if result.isReplay { headers[.idempotentReplayed] = "true" }
        return Response(status: result.isReplay ? .ok : .created, headers: headers, body: ResponseBody(byteBuffer: body.json))
    }

    /// The event id path parameter, or a 400 problem naming `eventId`.
    static func eventID(_ context: AppRequestContext) throws(Problem) -> EventID {
        guard let text = context.parameters.get("eventId").flatMap(PercentDecoding.decode), let id = EventID(text) else {
            throw Problem.invalid(field: "eventId", detail: "eventId must be 1 to \(EventID.maxLength) characters of A-Z, a-z, 0-9, _ or -")
        }
        return id
    }

    /// Names the event and the purchase on the request's span; nothing to do when the request is not traced.
    private static func describeSpan(of request: PurchaseRequest, on span: (any Span)?) {
        guard let span else { return }
        span.updateAttributes { attributes in
            attributes.reserveCapacity(attributes.count + 2)  // one allocation for both, not one each
            attributes.set(TraceAttribute.eventID, value: .string(request.eventID.rawValue))
            attributes.set(TraceAttribute.purchaseID, value: .string(request.purchaseID.rawValue))
        }
    }

    /// Reads and checks everything the buyer sent.
    private func parse(_ request: Request, context: AppRequestContext) async throws -> PurchaseRequest {
        let eventID = try Self.eventID(context)

        var idempotencyKey: IdempotencyKey? = nil
        if let text = try request.headers.single(.idempotencyKey) {
            guard let key = IdempotencyKey(text) else {
                throw Problem.invalid(
                    field: "Idempotency-Key",
                    detail: "Idempotency-Key must be 1 to \(IdempotencyKey.maxLength) printable ASCII characters without spaces"
                )
            }
            idempotencyKey = key
        }

        var headerUser: UserID? = nil
        if let text = try request.headers.single(.xUserID) {
            guard let user = UserID(text) else { throw Self.invalidUser(field: "X-User-Id") }
            headerUser = user
        }

        let body = try await BodyReader.collect(request, upTo: context.maxUploadSize)
        var bodyUser: UserID? = nil
        if let text = try Self.decodeUserID(body, contentType: request.headers[.contentType]) {
            guard let user = UserID(text) else { throw Self.invalidUser(field: "userId") }
            bodyUser = user
        }

        if let headerUser, let bodyUser, headerUser != bodyUser {
            throw Problem(
                .conflictingUserID,
                detail: "the body's userId and the X-User-Id header name different buyers",
                extensions: ["field": "userId"]
            )
        }
        return PurchaseRequest(
            eventID: eventID,
            userID: bodyUser ?? headerUser,
            idempotencyKey: idempotencyKey,
            requestedAt: Timestamp.nowMillis(),
            secret: self.purchaseIDSecret
        )
    }

    private static func invalidUser(field: String) -> Problem {
        Problem.invalid(
            field: field,
            detail: "\(field) must be 1 to \(UserID.maxLength) characters of A-Z, a-z, 0-9, _ - . @ + or :"
        )
    }

    /// The body's `userId`: `nil` for an empty body (or one of whitespace), an object without it, or `null`.
    /// - Throws: a 415 problem for a non-JSON content type, a 400 problem for anything but a JSON object whose
    ///   `userId`, if present, is a string or null.
    static func decodeUserID(_ body: ByteBuffer, contentType: String?) throws(Problem) -> String? {
        let bytes = body.readableBytesView
        guard bytes.contains(where: { !Self.isJSONWhitespace($0) }) else { return nil }
        if let contentType, !Self.isJSON(contentType) {
            throw Problem(.unsupportedMediaType, detail: "the body must be application/json", headers: [.accept: "application/json"])
        }
        do {
            return try JSONDecoder().decode(Body.self, from: Data(bytes)).userId
        } catch let DecodingError.typeMismatch(_, context) where context.codingPath.first?.stringValue == "userId" {
            throw Self.invalidUser(field: "userId")
        } catch {
            throw Problem(
                .malformedBody,
                detail: "the body must be a JSON object such as {\"userId\": \"alice\"}",
                extensions: ["field": "body"]
            )
        }
    }

    /// Whether a `Content-Type` names JSON: `application/json` or any `+json` type, parameters ignored.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let mediaType else { return false }
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// The problem for a refused purchase, counted and logged.
    private func refusal(_ error: PurchaseError, request: PurchaseRequest, logger: Logger) -> Problem {
        var metadata: Logger.Metadata = [
            "event_id": .string(request.eventID.rawValue),
            "purchase_id": .string(request.purchaseID.rawValue),
        ]
        if let user = request.userID { metadata["user_id"] = .string(user.rawValue) }
        let eventExtension: [String: any Encodable & Sendable] = ["eventId": request.eventID.rawValue]
        switch error.code {
        case .soldOut:
            self.metrics.record(.soldOut)
            metadata["outcome"] = "sold_out"
            logger.info("purchase refused: sold out", metadata: metadata)
            return Problem(.soldOut, detail: "event \(request.eventID) has no tickets left", extensions: eventExtension)
        case .escrowHeld:
            // Not sold out yet: instances still hold the last tickets in escrow, and the buyer may get one soon.
            self.metrics.record(.unavailable)
            metadata["outcome"] = "unavailable"
            logger.notice("purchase refused: the pool is empty but escrows still hold tickets", metadata: metadata)
            var problem = Problem.unavailable(detail: error.message)
            problem.extensions["eventId"] = request.eventID.rawValue
            return problem
        case .unknownEvent:
            self.metrics.record(.unknownEvent)
            metadata["outcome"] = "unknown_event"
            logger.info("purchase refused: unknown event", metadata: metadata)
            return Problem(.unknownEvent, detail: "no event has id \(request.eventID)", extensions: eventExtension)
        case .userLimitReached:
            self.metrics.record(.userLimit)
            metadata["outcome"] = "user_limit"
            logger.notice("purchase refused: user limit reached", metadata: metadata)
            var extensions = eventExtension
            if let user = request.userID { extensions["userId"] = user.rawValue }
            return Problem(
                .userLimitReached,
                detail: "this buyer already holds as many tickets of event \(request.eventID) as allowed",
                extensions: extensions
            )
        default:
            // `unavailable`, and any kind added to PurchaseError later: the buyer may retry.
            self.metrics.record(.unavailable)
            metadata["outcome"] = "unavailable"
            metadata["error"] = .string(error.description)
            // A refusal that sold nothing is a notice: during an outage there is one per purchase, and at warning
            // they drowned the store's own warnings that say when the outage starts and ends (black-box testing
            // counted 5,224 in 2 s). A purchase that may have been recorded stays a warning.
            guard error.outcomeUnknown else {
                logger.notice("purchase failed: store unavailable", metadata: metadata)
                return Problem.unavailable(detail: error.message)
            }
            logger.warning("purchase failed: store unavailable, the purchase may have been recorded", metadata: metadata)
            return Self.outcomeUnknown(error, request: request)
        }
    }

    /// The 503 for a purchase that may have been recorded: how its buyer learns whether it was. With an
    /// `Idempotency-Key`, by repeating it; without one a repeat is a new purchase, so by its ticket's address
    /// (`404` until a sale is recorded under its id, and for good if none was). Both are in the problem's members.
    private static func outcomeUnknown(_ error: PurchaseError, request: PurchaseRequest) -> Problem {
        let ticketURL = PurchaseResponse.ticketPath(request.purchaseID)
        let advice =
            request.purchaseIDIsPrivate
            ? "if it was, its ticket is at \(ticketURL) once the store answers again (a repeat without an Idempotency-Key buys another ticket)"
            : "repeat the request with the same Idempotency-Key to learn its outcome"
        var problem = Problem.unavailable(detail: "\(error.message): \(advice)")
        problem.extensions["eventId"] = request.eventID.rawValue
        problem.extensions["purchaseId"] = request.purchaseID.rawValue
        problem.extensions["ticketUrl"] = ticketURL
        return problem
    }
}
