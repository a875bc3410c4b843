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
            let listing = try await self.store.readableEvents()
            events = listing.events
            eventsError = listing.incompleteness
        } catch {
            eventsError = error.description
        }
        if let eventsError { context.logger.warning("metrics: store unavailable", metadata: ["error": "\(eventsError)"]) }

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
        let text = PrometheusExposition.render(registry: self.registry, events: events, complete: eventsError == nil, version: self.info.version)
        return Response(
            status: .ok,
            headers: [.contentType: PrometheusExposition.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text))
        )
    }

    /// Whether `Accept` prefers JSON: `application/json` has a quality above 0 and at least that of the best range
    /// the Prometheus text matches (`text/plain`, `text/*`, `*/*`); a tie goes to JSON, which was named.
    static func wantsJSON(_ accept: String?) -> Bool {
        guard let accept else { return false }
        var json = 0.0
        var text = 0.0
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            let quality =
                parts.dropFirst().lazy.compactMap { parameter -> Double? in
                    let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    return pair.count == 2 && pair[0] == "q" ? Double(pair[1]) : nil
                }.first ?? 1
            switch parts.first {
            case "application/json": json = max(json, quality)
            case "text/plain", "text/*", "*/*": text = max(text, quality)
            default: break
            }
        }
        return json > 0 && json >= text
    }
}
