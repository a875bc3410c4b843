import Instrumentation
import Testing
import Tracing

@testable import OTLPTracing

@Suite struct OTLPTracerTests {
    static func tracer(_ sampler: String = "parentbased_always_on", argument: String? = nil, queue: Int = 100) throws -> OTLPTracer {
        OTLPTracer(sampler: try #require(TraceSampler(name: sampler, argument: argument)), buffer: SpanBuffer(capacity: queue, batchSize: queue))
    }

    /// The spans `tracer` queued, oldest first, read back from their encoding (OTLP `Span` fields by number).
    static func queued(_ tracer: OTLPTracer) throws -> [ProtobufFields] {
        let spans = tracer.buffer.take().spans
        let decoded = try #require(ProtobufFields(spans.bytes))[2].compactMap(\.message)
        #expect(decoded.count == spans.count)
        return decoded
    }

    @Test func aChildSpanContinuesItsParentsTraceAndEndsOnce() throws {
        let tracer = try Self.tracer()
        let parent = tracer.startSpan("parent", context: .topLevel, ofKind: .server)
        let child = tracer.startSpan("child", context: parent.context, ofKind: .client)
        child.attributes["outcome"] = "sold"
        child.end()
        child.end()
        parent.end()
        let finished = try Self.queued(tracer)
        #expect(finished.map { $0[5].first?.string } == ["child", "parent"])
        #expect(finished[0][1] == finished[1][1])  // trace id
        #expect(finished[0][4] == finished[1][2])  // parent span id
        #expect(finished[1][4].isEmpty)
        #expect(finished[0][6] == [.varint(3)])  // SPAN_KIND_CLIENT
        #expect(finished[0].keyValues(9)["outcome"]?[1].first?.string == "sold")
        guard case .fixed64(let start) = finished[0][7].first, case .fixed64(let end) = finished[0][8].first else {
            Issue.record("no start or end time in \(finished[0])")
            return
        }
        #expect(start <= end)
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
        #expect(try Self.queued(tracer).isEmpty)
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
        #expect(try Self.queued(tracer).first?[4] == [.bytes([0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31])])

        var untouched = InstrumentationContext.topLevel
        tracer.extract(["traceparent": "garbage"], into: &untouched, using: DictionaryExtractor())
        #expect(untouched.traceContext == nil)
    }

    @Test func aFullQueueDropsSpansAndCountsThem() throws {
        let tracer = try Self.tracer(queue: 3)
        for index in 0..<5 { tracer.startSpan("span \(index)", context: .topLevel, ofKind: .internal).end() }
        #expect(try Self.queued(tracer).map { $0[5].first?.string } == ["span 0", "span 1", "span 2"])
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
        let finished = try #require(try Self.queued(tracer).first)
        let events = finished[11].compactMap(\.message)
        #expect(events.map { $0[2].first?.string } == ["exception"])
        let type = try #require(events.first?.keyValues(3)["exception.type"]?[1].first?.string)
        #expect(type.contains("SoldOut"))
        #expect(finished[15].first?.message?[3] == [.varint(1)])  // STATUS_CODE_OK
    }
}

private struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

private struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}
