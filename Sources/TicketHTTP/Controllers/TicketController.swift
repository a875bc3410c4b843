import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TicketCore
import TicketPDF

/// `GET /tickets/:purchaseId` (the PDF ticket) and `POST /tickets/verify` (a gate's check of a QR code's token).
///
/// | outcome | status | problem type |
/// | --- | --- | --- |
/// | the ticket | 200 `application/pdf` | |
/// | not a purchase id (`../`, `%2e%2e`, NUL, …) | 400 | ``ProblemType/invalidRequest`` |
/// | no such purchase | 404 | ``ProblemType/unknownPurchase`` |
/// | cannot be rendered | 500 | ``ProblemType/ticketRenderFailed`` |
/// | ledger or archive unavailable | 503 + `Retry-After: 1` | ``ProblemType/storeUnavailable`` |
struct TicketController: Sendable {
    let tickets: TicketPDFService

    /// `GET /tickets/:purchaseId`: the stored PDF, rendered now if the background has not got there yet.
    ///
    /// The id is checked against the purchase id alphabet before anything else, and the file path is computed from
    /// the checked id alone, so no request text ever reaches the file system.
    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let text = context.parameters.get("purchaseId").flatMap(PercentDecoding.decode), let id = PurchaseID(text) else {
            throw Problem.invalid(
                field: "purchaseId",
                detail: "purchaseId must be 26 characters of Crockford base32 in lower case: 0-9 and a-z but i, l, o and u"
            )
        }
        let pdf: [UInt8]?
        do {
            pdf = try await self.tickets.ticket(for: id)
        } catch {
            throw Self.problem(error, purchase: id, logger: context.logger)
        }
        guard let pdf else {
            throw Problem(.unknownPurchase, detail: "no purchase has id \(id)", extensions: ["purchaseId": id.rawValue])
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/pdf",
                .contentDisposition: "inline; filename=\"ticket-\(id.rawValue).pdf\"",
                .cacheControl: "private, no-cache",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: pdf))
        )
    }

    /// The body of `POST /tickets/verify`.
    private struct VerifyBody: Decodable {
        var token: String
    }

    /// Whether decoding failed on the object's `token` (missing, null or not a string), not on the body's shape.
    private static func isAboutTheToken(_ error: DecodingError) -> Bool {
        switch error {
        case .keyNotFound(let key, let context): return key.stringValue == "token" && context.codingPath.isEmpty
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return context.codingPath.first?.stringValue == "token"
        default: return false
        }
    }

    /// `POST /tickets/verify` with `{"token": "…"}`: 200 with ``TicketVerificationResponse`` saying valid (with the
    /// ticket's details from the ledger) or invalid (with a reason); 400 for a body without a token.
    @Sendable func verify(_ request: Request, context: AppRequestContext) async throws -> TicketVerificationResponse {
        let body = try await BodyReader.collect(request, upTo: context.maxUploadSize)
        if let contentType = request.headers[.contentType], !PurchaseController.isJSON(contentType) {
            throw Problem(.unsupportedMediaType, detail: "the body must be application/json", headers: [.accept: "application/json"])
        }
        let token: String
        do {
            token = try JSONDecoder().decode(VerifyBody.self, from: Data(body.readableBytesView)).token
        } catch let error as DecodingError where Self.isAboutTheToken(error) {
            // A JSON object without a string `token`: the object is fine, the token is not (it said the body must be
            // a JSON object; found by black-box testing).
            throw Problem(.malformedBody, detail: "the body's token must be a string, as in {\"token\": \"…\"}", extensions: ["field": "token"])
        } catch {
            throw Problem(.malformedBody, detail: "the body must be a JSON object such as {\"token\": \"…\"}", extensions: ["field": "token"])
        }
        let verdict: TicketVerifier.Verdict
        do {
            verdict = try await self.tickets.verifier.verify(token)
        } catch {
            context.logger.warning("verify: store unavailable", metadata: ["error": "\(error)"])
            throw Problem.unavailable(detail: "the ledger cannot be read now")
        }
        switch verdict {
        case .valid(let purchase):
            context.logger.info("ticket verified", metadata: ["purchase_id": "\(purchase.purchaseID)", "outcome": "valid"])
            return TicketVerificationResponse(purchase: purchase)
        case .invalid(let reason, let detail):
            context.logger.notice("ticket refused", metadata: ["outcome": "invalid", "reason": "\(reason)"])
            return TicketVerificationResponse(invalid: reason, detail: detail)
        }
    }

    /// The problem for a ticket that cannot be served.
    static func problem(_ error: TicketPDFError, purchase: PurchaseID, logger: Logger) -> Problem {
        switch error.code {
        case .renderFailed:
            // Not a passing failure (a character no font here has): the buyer is told why, not to try again.
            logger.error("ticket cannot be served", metadata: ["purchase_id": "\(purchase)", "error": "\(error)"])
            return Problem(
                .ticketRenderFailed,
                detail: "the ticket of purchase \(purchase) cannot be rendered (\(error.message))",
                extensions: ["purchaseId": purchase.rawValue]
            )
        case .storage:
            logger.error("ticket cannot be served", metadata: ["purchase_id": "\(purchase)", "error": "\(error)"])
            return Problem(
                .ticketRenderFailed,
                detail: "the ticket of purchase \(purchase) cannot be stored or read now",
                extensions: ["purchaseId": purchase.rawValue]
            )
        default:
            logger.warning("ticket unavailable", metadata: ["purchase_id": "\(purchase)", "error": "\(error)"])
            return Problem.unavailable(detail: "the ticket of purchase \(purchase) cannot be looked up now")
        }
    }
}
