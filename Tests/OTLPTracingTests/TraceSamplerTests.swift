import Testing

@testable import OTLPTracing

@Suite struct TraceSamplerTests {
    static let identifiers = RandomIdentifiers()

    static func sampledShare(_ sampler: TraceSampler, of count: Int = 100_000) -> Double {
        let sampled = (0..<count).filter { _ in sampler.samples(traceID: Self.identifiers.traceID(), parent: nil) }.count
        return Double(sampled) / Double(count)
    }

    @Test func ratiosSampleTheirShareOfNewTraces() throws {
        #expect(Self.sampledShare(try #require(TraceSampler(name: "traceidratio", argument: "0"))) == 0)
        #expect(Self.sampledShare(try #require(TraceSampler(name: "traceidratio", argument: "1"))) == 1)
        #expect(abs(Self.sampledShare(try #require(TraceSampler(name: "traceidratio", argument: "0.25"))) - 0.25) < 0.01)
        #expect(Self.sampledShare(try #require(TraceSampler(name: "always_off", argument: nil))) == 0)
        #expect(Self.sampledShare(try #require(TraceSampler(name: "PARENTBASED_ALWAYS_ON", argument: nil))) == 1)
        // Whitespace around a name or a ratio is no reason to refuse it, nor to read it differently.
        #expect(TraceSampler(name: " parentbased_traceidratio ", argument: " 0.5 ")?.rule == .traceIDRatio(0.5))
    }

    @Test func aRatioDecidesByTheTraceIDAlone() throws {
        let sampler = try #require(TraceSampler(name: "traceidratio", argument: "0.5"))
        let low = TraceID(high: 1, low: 1)
        let high = TraceID(high: 1, low: .max)
        #expect(sampler.samples(traceID: low, parent: nil) && sampler.samples(traceID: low, parent: nil))
        #expect(!sampler.samples(traceID: high, parent: nil))
    }

    @Test func parentBasedSamplersFollowTheParentOthersDoNot() throws {
        let trace = TraceID(high: 1, low: .max)
        let sampledParent = TraceContext(traceID: trace, spanID: SpanID(1), sampled: true)
        let droppedParent = TraceContext(traceID: trace, spanID: SpanID(1), sampled: false)
        let parentBased = try #require(TraceSampler(name: "parentbased_traceidratio", argument: "0"))
        #expect(parentBased.samples(traceID: trace, parent: sampledParent))
        #expect(!parentBased.samples(traceID: trace, parent: droppedParent))
        let alwaysOn = try #require(TraceSampler(name: "always_on", argument: nil))
        #expect(alwaysOn.samples(traceID: trace, parent: droppedParent))
    }

    @Test(arguments: [("traceidratio", "1.5"), ("traceidratio", "half"), ("parentbased_sometimes", nil), ("jaeger_remote", nil)])
    func unknownSamplersAndBadRatiosAreRefused(name: String, argument: String?) {
        #expect(TraceSampler(name: name, argument: argument) == nil)
    }
}
