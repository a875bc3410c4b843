import Prometheus
import Testing
import TicketCore

@testable import TicketHTTP

@Suite struct PrometheusExpositionTests {
    @Test func addsHelpToFamiliesWithoutIt() {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "redis_reconnects", unitName: "total", helpText: "")).increment()
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "some_library", unitName: "gauge", helpText: "")).set(to: 2)
        registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "documented", unitName: "total", helpText: "Has its own help.")).increment()
        let text = String(decoding: PrometheusExposition.render(registry: registry, events: [], version: "1"), as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("# HELP redis_reconnects_total Redis reconnect attempts."))
        #expect(lines.contains("# HELP some_library_gauge some_library_gauge, recorded through swift-metrics."))
        #expect(lines.filter { $0.hasPrefix("# HELP documented_total") } == ["# HELP documented_total Has its own help."])
        #expect(lines.contains("ticketd_event_stats_scrape_success 1"))
        #expect(!text.contains("ticketd_event_tickets_available"))
        #expect(text.hasSuffix("\n"))
    }

    /// `APP_VERSION`, which `/health` and the JSON form report, is in the text form too, as an info gauge's label
    /// (escaped as label values are): Prometheus could not see which version an instance ran.
    @Test func theVersionIsTheBuildInfoGaugesLabel() {
        let text = String(
            decoding: PrometheusExposition.render(registry: PrometheusCollectorRegistry(), events: nil, version: #"7.7.7 "rc" \ 1"#),
            as: UTF8.self
        )
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE ticketd_build_info gauge"))
        #expect(lines.contains(#"ticketd_build_info{version="7.7.7 \"rc\" \\ 1"} 1"#), "\(text)")
    }

    /// Some events unreadable (their cluster shard down): the others' gauges, and a success gauge of 0.
    @Test func aPartialListingKeepsItsGaugesAndSaysItIsPartial() {
        let events = [EventSnapshot(id: EventID("2")!, name: "a", venue: nil, startsAt: nil, capacity: 5, available: 5, sold: 0, perUserLimit: 0)]
        let text = String(
            decoding: PrometheusExposition.render(registry: PrometheusCollectorRegistry(), events: events, complete: false, version: "1"),
            as: UTF8.self
        )
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains(#"ticketd_event_tickets_available{event="2"} 5"#))
        #expect(lines.contains("ticketd_event_stats_scrape_success 0"))
    }

    @Test func perEventGauges() {
        let events = [
            EventSnapshot(id: EventID("10")!, name: "b", venue: nil, startsAt: nil, capacity: 10, available: 4, sold: 6, perUserLimit: 0),
            EventSnapshot(id: EventID("2")!, name: "a", venue: nil, startsAt: nil, capacity: 5, available: 5, sold: 0, perUserLimit: 0),
        ]
        let text = String(decoding: PrometheusExposition.render(registry: PrometheusCollectorRegistry(), events: events, version: "1"), as: UTF8.self)
        #expect(
            text.contains(
                """
                # TYPE ticketd_event_tickets_sold gauge
                ticketd_event_tickets_sold{event="10"} 6
                ticketd_event_tickets_sold{event="2"} 0

                """
            )
        )
    }
}
