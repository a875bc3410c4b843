import Dispatch
import HTTPTypes
import Hummingbird
import Metrics
import Synchronization

/// Records `ticketd_http_request_duration_seconds{route,method,status}` (a histogram) for every request, and counts
/// responses for the JSON summary of `/metrics`.
///
/// `route` is the matched route pattern (`/buy/{eventId}`), never the raw path, so a scan of random URLs cannot
/// create unbounded label sets; unmatched paths are `NotFound`. The timers are cached per label set, so the hot
/// path takes one lock and makes no allocation once warm.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    private struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: Int
    }

    private final class TimerCache: Sendable {
        let timers = Mutex<[Key: Timer]>([:])
    }

    private let metrics: AppMetrics
    private let cache = TimerCache()

    init(metrics: AppMetrics) {
        self.metrics = metrics
    }

    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            // ProblemMiddleware sits below and answers every error; this only runs if it is ever moved.
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            self.record(route: context.endpointPath, method: request.method, status: status, start: start)
            throw error
        }
        self.record(route: context.endpointPath, method: request.method, status: response.status.code, start: start)
        return response
    }

    private func record(route: String?, method: HTTPRequest.Method, status: Int, start: UInt64) {
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        let key = Key(route: route ?? "NotFound", method: method, status: status)
        let factory = self.metrics.factory
        let timer = self.cache.timers.withLock { timers in
            if let timer = timers[key] { return timer }
            let timer = Timer(
                label: AppMetrics.requestDurationName,
                dimensions: [("route", key.route), ("method", key.method.rawValue), ("status", String(key.status))],
                factory: factory
            )
            timers[key] = timer
            return timer
        }
        timer.recordNanoseconds(Int64(clamping: elapsed))
        self.metrics.recordResponse(status: status)
    }
}
