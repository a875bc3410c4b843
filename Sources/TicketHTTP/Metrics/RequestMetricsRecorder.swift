import HTTPTypes
import Metrics
import Synchronization

/// Records `ticketd_http_request_duration_seconds{route,method,status}` (a histogram) for every request, and counts
/// responses for the JSON summary of `/metrics`.
///
/// `route` is the matched route pattern (`/buy/{eventId}`), never the raw path, so a scan of random URLs cannot
/// create unbounded label sets; unmatched paths are `NotFound`. The timers are cached per label set, so the hot
/// path takes one lock and makes no allocation once warm.
final class RequestMetricsRecorder: Sendable {
    private struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: Int
    }

    private let metrics: AppMetrics
    private let timers = Mutex<[Key: Timer]>([:])

    init(metrics: AppMetrics) {
        self.metrics = metrics
    }

    /// Records one answered request that took `nanoseconds`.
    func record(route: String?, method: HTTPRequest.Method, status: Int, nanoseconds: UInt64) {
        let key = Key(route: route ?? "NotFound", method: method, status: status)
        let factory = self.metrics.factory
        let timer = self.timers.withLock { timers in
            if let timer = timers[key] { return timer }
            let timer = Timer(
                label: AppMetrics.requestDurationName,
                dimensions: [("route", key.route), ("method", key.method.rawValue), ("status", String(key.status))],
                factory: factory
            )
            timers[key] = timer
            return timer
        }
        timer.recordNanoseconds(Int64(clamping: nanoseconds))
        self.metrics.recordResponse(status: status)
    }
}
