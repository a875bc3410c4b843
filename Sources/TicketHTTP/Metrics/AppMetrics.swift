import Metrics
import Prometheus
import Synchronization

/// This instance's own counters: purchases by outcome and error responses by status.
///
/// Each count goes two ways: to swift-metrics (a `Counter` made by a `PrometheusMetricsFactory` over the registry
/// the app was given, so it appears in `GET /metrics` whatever the process-wide `MetricsSystem` is), and to a small
/// in-process tally that the JSON form of `/metrics` reports.
final class AppMetrics: Sendable {
    /// The tally behind the JSON summary.
    struct Counts: Sendable {
        /// Purchases by outcome.
        var purchases: [PurchaseOutcome: Int] = [:]
        /// Responses with a status of 400 or more, by status code.
        var errors: [Int: Int] = [:]
        /// Every response.
        var requests = 0
    }

    /// The name of the purchase counter.
    static let purchasesName = "ticketd_purchases_total"
    /// The name of the request duration histogram.
    static let requestDurationName = "ticketd_http_request_duration_seconds"

    /// The factory every metric of this instance is made with.
    let factory: PrometheusMetricsFactory
    private let purchaseCounters: [PurchaseOutcome: Metrics.Counter]
    private let counts = Mutex(Counts())

    /// Creates the metrics, registering one purchase counter per outcome (so every outcome is scraped from zero).
    init(registry: PrometheusCollectorRegistry) {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Self.requestDurationName] = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        ]
        self.factory = factory
        var counters: [PurchaseOutcome: Metrics.Counter] = [:]
        for outcome in PurchaseOutcome.allCases {
            counters[outcome] = Metrics.Counter(label: Self.purchasesName, dimensions: [("outcome", outcome.rawValue)], factory: factory)
        }
        self.purchaseCounters = counters
    }

    /// Counts one purchase attempt.
    func record(_ outcome: PurchaseOutcome) {
        self.purchaseCounters[outcome]?.increment()
        self.counts.withLock { $0.purchases[outcome, default: 0] += 1 }
    }

    /// Counts one response.
    func recordResponse(status: Int) {
        self.counts.withLock { counts in
            counts.requests += 1
            if status >= 400 { counts.errors[status, default: 0] += 1 }
        }
    }

    /// A copy of the tally.
    var snapshot: Counts { self.counts.withLock { $0 } }
}
