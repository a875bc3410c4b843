import Instrumentation
import Testing
import Tracing

@testable import OTLPTracing

@Suite struct OTLPTracerTests {
    static func tracer(_ sampler: String = "parentbased_always_on", argument: String? = nil, queue: Int = 100) throws -> OTLPTracer {
        OTLPTracer(sampler: try #require(TraceSampler(name: sampler, argument: argument)), buffer: SpanBuffer(capacity: queue, batchSize: queue))
    }

    @Test func aChildSpanContinuesItsParentsTraceAndEndsOnce() throws {
        let tracer = try Self.tracer()
        let parent = tracer.startSpan("parent", context: .topLevel, ofKind: .server)
        let child = tracer.startSpan("child", context: parent.context, ofKind: .client)
        child.attributes["outcome"] = "sold"
        child.end()
        child.end()
        parent.end()
        let finished = tracer.buffer.take().spans
        #expect(finished.map(\.name) == ["child", "parent"])
        #expect(finished[0].context.traceID == finished[1].context.traceID)
        #expect(finished[0].parentSpanID == finished[1].context.spanID)
        #expect(finished[1].parentSpanID == nil)
        #expect(finished[0].kind == .client && finished[0].attributes.get("outcome") == "sold")
        #expect(finished[0].startNanoseconds <= finished[0].endNanoseconds)
    }

    @Test func theActiveSpanIsFoundFromItsContextUntilItEnds() throws {
        let tracer = try Self.tracer()
        var span: OTLPSpan? = tracer.startSpan("request", context: .topLevel, ofKind: .server)
        let context = try #require(span?.context)
        #expect(tracer.activeSpan(identifiedBy: context) === span)
        #expect(tracer.activeSpan(identifiedBy: .topLevel) == nil)
        weak let ended = span
        span?.end()
        span = nil
        #expect(tracer.activeSpan(identifiedBy: context) == nil)
        #expect(ended == nil, "the context, still held, keeps the ended span alive")
    }

    @Test func anUnsampledSpanCarriesItsContextAndRecordsNothing() throws {
        let tracer = try Self.tracer("parentbased_traceidratio", argument: "0")
        let root = tracer.startSpan("dropped", context: .topLevel, ofKind: .server)
        #expect(!root.isRecording && root.context.traceContext?.sampled == false)
        let child = tracer.startSpan("child", context: root.context, ofKind: .client)
        #expect(!child.isRecording && child.context.traceContext?.traceID == root.context.traceContext?.traceID)
        child.attributes["ignored"] = true
        child.end()
        root.end()
        #expect(tracer.buffer.take().spans.isEmpty)
        #expect(tracer.activeSpan(identifiedBy: root.context) == nil)
    }

    @Test func anIncomingTraceparentIsContinuedAndInjectedBack() throws {
        let tracer = try Self.tracer()
        let incoming = ["traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tracestate": "congo=t61"]
        var context = InstrumentationContext.topLevel
        tracer.extract(incoming, into: &context, using: DictionaryExtractor())
        let span = tracer.startSpan("request", context: context, ofKind: .server)
        var outgoing: [String: String] = [:]
        tracer.inject(span.context, into: &outgoing, using: DictionaryInjector())
        let spanID = try #require(span.context.traceContext?.spanID.hex)
        #expect(outgoing == ["traceparent": "00-0af7651916cd43dd8448eb211c80319c-\(spanID)-01", "tracestate": "congo=t61"])
        span.end()
        #expect(tracer.buffer.take().spans.first?.parentSpanID?.hex == "b7ad6b7169203331")

        var untouched = InstrumentationContext.topLevel
        tracer.extract(["traceparent": "garbage"], into: &untouched, using: DictionaryExtractor())
        #expect(untouched.traceContext == nil)
    }

    @Test func aFullQueueDropsSpansAndCountsThem() throws {
        let tracer = try Self.tracer(queue: 3)
        for index in 0..<5 { tracer.startSpan("span \(index)", context: .topLevel, ofKind: .internal).end() }
        #expect(tracer.buffer.take().spans.map(\.name) == ["span 0", "span 1", "span 2"])
        #expect(tracer.buffer.takeDropped() == 2)
        #expect(tracer.buffer.takeDropped() == 0)
    }

    @Test func errorsBecomeExceptionEventsAndOkStatusIsFinal() throws {
        struct SoldOut: Error {}
        let tracer = try Self.tracer()
        let span = tracer.startSpan("purchase", context: .topLevel, ofKind: .internal)
        span.recordError(SoldOut())
        span.setStatus(SpanStatus(code: .ok))
        span.setStatus(SpanStatus(code: .error))
        span.end()
        let finished = try #require(tracer.buffer.take().spans.first)
        #expect(finished.events.map(\.name) == ["exception"])
        guard case .string(let type) = finished.events.first?.attributes.get("exception.type") else {
            Issue.record("no exception.type in \(finished.events)")
            return
        }
        #expect(type.contains("SoldOut"))
        #expect(finished.status?.code == .ok)
    }
}

private struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

private struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}
