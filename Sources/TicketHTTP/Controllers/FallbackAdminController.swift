import HTTPTypes
import Hummingbird
import Logging
import TicketCore

/// The fallback's admin routes, under `/admin/`, behind ``AdminAuthMiddleware``. What they did is logged here,
/// with the request's id.
struct FallbackAdminController: Sendable {
    let fallback: any FallbackAdministration

    /// `POST /admin/seed-fallback`: settles this instance's journal and tops its escrow up now. 200 with the
    /// fallback's status (as in `/health`); 503 when Redis cannot be reached.
    @Sendable func seed(_ request: Request, context: AppRequestContext) async throws -> FallbackStatus {
        do {
            let status = try await self.fallback.seedFallback()
            context.logger.notice("escrow topped up on request", metadata: ["fallback.escrow": "\(status.escrow)"])
            return status
        } catch {
            context.logger.warning("seed-fallback: Redis unavailable", metadata: ["error": "\(error)"])
            throw Problem.unavailable(detail: error.message)
        }
    }

    /// `POST /admin/escrow/release?instance=ID[&force=true]`: gives the escrow of gone instance `ID` back to the
    /// pool. 200 with the ``EscrowRelease``; 409 ``ProblemType/escrowReleaseRefused`` with `refusal` and
    /// `lastReport` members when its journal may be unsettled and `force` is not set; 400 for a missing or bad id;
    /// 503 when Redis cannot be reached.
    @Sendable func release(_ request: Request, context: AppRequestContext) async throws -> EscrowRelease {
        guard let text = try request.uri.queryParameters.single("instance"), let instance = InstanceID(text) else {
            throw Problem.invalid(field: "instance", detail: "instance must be an instance id: 1 to 64 letters, digits, _ or -")
        }
        let force: Bool
        switch try request.uri.queryParameters.single("force") {
        case nil, "false": force = false
        case "true": force = true
        default: throw Problem.invalid(field: "force", detail: "force must be true or false")
        }
        let release: EscrowRelease
        do {
            release = try await self.fallback.releaseEscrow(of: instance, force: force)
        } catch {
            context.logger.warning("escrow/release: Redis unavailable", metadata: ["error": "\(error)"])
            throw Problem.unavailable(detail: error.message)
        }
        guard release.released else {
            throw Problem(
                .escrowReleaseRefused,
                detail: "the escrow of \(instance) stays: \(release.refusal ?? "refused")",
                extensions: ["refusal": release.refusal ?? "", "lastReport": release.lastReport, "instanceID": instance.rawValue]
            )
        }
        context.logger.warning(
            "escrow of another instance released to the pool",
            metadata: [
                "fallback.released_instance": "\(instance)", "fallback.tickets": "\(release.tickets)", "fallback.forced": "\(release.forced)",
                "fallback.refusal": "\(release.refusal ?? "none")",
            ]
        )
        return release
    }
}

extension FallbackStatus: ResponseEncodable {}
extension EscrowRelease: ResponseEncodable {}
