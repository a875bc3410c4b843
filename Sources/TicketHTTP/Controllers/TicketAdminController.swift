import HTTPTypes
import Hummingbird
import Logging
import TicketCore
import TicketPDF

/// The PDF ticket admin routes, under `/admin/`, behind ``AdminAuthMiddleware``.
struct TicketAdminController: Sendable {
    let tickets: TicketPDFService

    /// `GET /admin/pdf-stats`: files, bytes, the oldest file, the backlog and recent render times.
    @Sendable func statistics(_ request: Request, context: AppRequestContext) async throws -> PDFStatisticsResponse {
        do {
            return PDFStatisticsResponse(try await self.tickets.currentStatistics())
        } catch {
            context.logger.warning("pdf-stats: archive unavailable", metadata: ["error": "\(error)"])
            throw Problem.unavailable(detail: "the ticket archive cannot be read now")
        }
    }

    /// `POST /admin/cleanup-tickets[?maxAgeHours=N]`: deletes tickets older than `N` hours (default
    /// `PDF_CLEANUP_MAX_AGE_HOURS`); a later download renders a deleted ticket again.
    @Sendable func cleanUp(_ request: Request, context: AppRequestContext) async throws -> TicketCleanupResponse {
        var maxAge = self.tickets.configuration.cleanupMaxAge
        if let text = try request.uri.queryParameters.single("maxAgeHours") {
            guard let hours = DecimalNumber.value(of: text), hours.isFinite, hours >= 0, hours <= 1_000_000 else {
                throw Problem.invalid(field: "maxAgeHours", detail: "maxAgeHours must be a number of hours from 0 to 1000000")
            }
            maxAge = .milliseconds(Int64(hours * 3_600_000))
        }
        do {
            let result = try await self.tickets.cleanUp(maxAge: maxAge, logger: context.logger)
            let (seconds, attoseconds) = maxAge.components
            return TicketCleanupResponse(result, maxAgeHours: (Double(seconds) + Double(attoseconds) / 1e18) / 3600)
        } catch {
            context.logger.warning("cleanup-tickets: archive unavailable", metadata: ["error": "\(error)"])
            throw Problem.unavailable(detail: "the ticket archive cannot be cleaned now")
        }
    }
}
