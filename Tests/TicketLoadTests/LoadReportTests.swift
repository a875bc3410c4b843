import Foundation
import Testing

@testable import TicketLoad

/// The final table and the plot, from a tally made by hand.
@Suite struct LoadReportTests {
    private func report(redis: RedisAuditResult? = nil) throws -> LoadReport {
        var configuration = LoadConfiguration(target: try TargetURL("http://127.0.0.1:3049"), events: ["1"])
        configuration.connections = 10
        var tally = RunTally()
        for second in 0..<3 {
            for _ in 0..<100 {
                let at = UInt64(second) * 1_000_000_000
                tally.timeline[nanosecondsSinceStart: at].responses += 1
                tally.timeline[nanosecondsSinceStart: at].latency.record(nanoseconds: 2_000_000)
                tally.latency.record(nanoseconds: 2_000_000)
            }
        }
        tally.responses = 300
        tally.statusCounts = [409: 300]
        let timing = RunTiming(connectPhase: .milliseconds(20), connectedBeforeStart: 10, run: .milliseconds(2500))
        let before = ["1": EventCounts(capacity: 5, available: 0, sold: 5, perUserLimit: 0)]
        let audit = PurchaseAudit(tally: tally, before: before, after: before, redis: redis)
        return LoadReport(configuration: configuration, tally: tally, timing: timing, peakOpenConnections: 10, audit: audit)
    }

    @Test func theTableShowsRatesLatencyStatusesAndTheVerdict() throws {
        let table = try self.report().table()
        #expect(table.contains("300 answered, 120 answers/s"))
        #expect(table.contains("p50 2.00"))
        #expect(table.contains("409: 300"))
        #expect(table.contains("10 open at the start"))
        #expect(table.contains("verdict: PASS"))
    }

    /// An audit that could not read the books says so; it read "ticketd audit FAILED; sold " with nothing after.
    @Test func aRedisAuditThatMadeNoVerdictSaysSo() throws {
        let unread = RedisAuditResult(exitStatus: 69, output: "Error: the books could not be read: cannot reach Redis")
        let table = try self.report(redis: unread).table()
        #expect(table.contains("ticketd audit made no verdict: it could not read the books"), "\(table)")
        #expect(!table.contains("FAILED; sold"))
    }

    @Test func theTimelineRatesTheLastPartialSecondByItsLength() throws {
        let timeline = try self.report().timeline
        #expect(timeline.map(\.length) == [1, 1, 0.5])
        #expect(timeline.map(\.responses) == [100, 100, 100])
    }

    @Test func thePlotIsAnSVGWithAThroughputAndALatencyPanel() throws {
        let svg = LoadPlot.svg(try self.report())
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<polyline").count == 6)
        #expect(svg.contains("throughput (per second)") && svg.contains("latency (ms)"))
    }
}
