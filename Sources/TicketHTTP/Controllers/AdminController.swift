import HTTPTypes
import Hummingbird
import Logging
import TicketCore

/// The admin routes, under `/admin/`, behind ``AdminAuthMiddleware``.
struct AdminController: Sendable {
    let auditor: any TicketAuditor

    /// `GET /admin/audit`: checks every event's books.
    ///
    /// 200 with the ``AuditReport`` (`{"events": [...]}`) when they balance; 409 ``ProblemType/auditFailed``
    /// problem with the same `events` member when they do not; 503 when the store cannot be read.
    @Sendable func audit(_ request: Request, context: AppRequestContext) async throws -> AuditReport {
        let report: AuditReport
        do {
            report = try await self.auditor.audit()
        } catch {
            context.logger.warning("audit: store unavailable", metadata: ["error": "\(error)"])
            throw Problem.unavailable(detail: "the ticket store cannot be read now")
        }
        guard report.isClean else {
            let failing = report.events.filter { !$0.problems.isEmpty }
            context.logger.error(
                "audit found problems",
                metadata: [
                    "events": .array(failing.map { .string($0.eventID.rawValue) }), "problem_count": "\(failing.map(\.problems.count).reduce(0, +))",
                ]
            )
            throw Problem(
                .auditFailed,
                detail: "\(failing.count) of \(report.events.count) events do not balance",
                extensions: ["events": report.events]
            )
        }
        context.logger.info("audit clean", metadata: ["event_count": "\(report.events.count)"])
        return report
    }
}

extension AuditReport: ResponseEncodable {}
