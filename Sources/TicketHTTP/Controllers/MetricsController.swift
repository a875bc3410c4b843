import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import TicketCore

/// `GET /metrics`: Prometheus text by default, a JSON summary with `Accept: application/json`.
///
/// Both forms read the per-event counts from the store at scrape time, so every instance reports the same,
/// right, numbers; see ``PrometheusExposition`` and ``MetricsSummary``.
struct MetricsController: Sendable {
    let store: any TicketStore
    let registry: PrometheusCollectorRegistry
    let metrics: AppMetrics
    let info: ServiceInfo

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        var events: [EventSnapshot]? = nil
        var eventsError: String? = nil
        do {
            events = try await self.store.events()
        } catch {
            eventsError = error.description
            context.logger.warning("metrics: store unavailable", metadata: ["error": "\(error)"])
        }

        if Self.wantsJSON(request.headers[.accept]) {
            let summary = MetricsSummary(
                version: self.info.version,
                uptimeSeconds: self.info.uptimeSeconds,
                events: events,
                eventsError: eventsError,
                counts: self.metrics.snapshot
            )
            return try context.responseEncoder.encode(summary, from: request, context: context)
        }
        let text = PrometheusExposition.render(registry: self.registry, events: events)
        return Response(
            status: .ok,
            headers: [.contentType: PrometheusExposition.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text))
        )
    }

    /// Whether `Accept` asks for JSON: `application/json` is one of its media ranges, without `q=0`.
    static func wantsJSON(_ accept: String?) -> Bool {
        guard let accept else { return false }
        return accept.split(separator: ",").contains { range in
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard parts.first == "application/json" else { return false }
            return !parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" }
        }
    }
}
