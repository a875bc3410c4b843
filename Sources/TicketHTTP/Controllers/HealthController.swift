import HTTPTypes
import Hummingbird
import Logging
import TicketCore

/// `GET /health` (the store's state, for humans and orchestrators) and `GET /livez` (a no-op).
struct HealthController: Sendable {
    let store: any TicketStore
    let info: ServiceInfo

    /// `GET /livez`: `ok` as text, touching nothing; the baseline the benchmarks compare the purchase route with.
    @Sendable func livez(_ request: Request, context: AppRequestContext) -> String {
        "ok"
    }

    /// `GET /health`: 200 when the store is up or degraded, 503 when it is down.
    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<HealthResponse> {
        let store = await self.store.health()
        let body = HealthResponse(
            status: HealthResponse.status(forStore: store.status),
            version: self.info.version,
            uptimeSeconds: self.info.uptimeSeconds,
            store: store
        )
        return EditedResponse(status: body.status == "down" ? .serviceUnavailable : .ok, response: body)
    }
}
