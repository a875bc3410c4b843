import Testing
import Tracing

@testable import OTLPTracing

@Suite struct OTLPTraceRequestTests {
    static let trace = TraceID(high: 0x0af7_6519_16cd_43dd, low: 0x8448_eb21_1c80_319c)

    /// The bytes of `words`, each most significant byte first.
    static func bigEndian(_ words: UInt64...) -> [UInt8] {
        words.flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * $0)) } }
    }

    /// The request carrying `spans`, each encoded as it is when it ends.
    static func request(_ spans: [FinishedSpan], resource: [(key: String, value: SpanAttribute)] = []) -> [UInt8] {
        let buffer = SpanBuffer(capacity: spans.count, batchSize: spans.count)
        for span in spans { buffer.append(span) }
        return OTLPTraceRequest.encode(buffer.take().spans, resource: resource, scope: "ticketd")
    }

    static var span: FinishedSpan {
        var attributes = SpanAttributes()
        attributes["http.route"] = "/buy/{eventId}"
        attributes["http.response.status_code"] = 201
        attributes["ratio"] = 0.5
        attributes["fallback"] = false
        attributes.set("stripes", value: .int64Array([1, 2]))
        let linked = TraceContext(traceID: TraceID(high: 7, low: 8), spanID: SpanID(9), sampled: true)
        var linkContext = InstrumentationContext.topLevel
        linkContext.traceContext = linked
        return FinishedSpan(
            name: "/buy/{eventId}",
            kind: .server,
            context: TraceContext(traceID: Self.trace, spanID: SpanID(0xb7ad_6b71_6920_3331), sampled: true, traceState: "a=b"),
            parentSpanID: SpanID(0x1122_3344_5566_7788),
            startNanoseconds: 1_000,
            endNanoseconds: 2_500,
            attributes: attributes,
            events: [SpanEvent(name: "exception", at: DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: 2_000))],
            links: [SpanLink(context: linkContext, attributes: [:])],
            status: SpanStatus(code: .error, message: "boom")
        )
    }

    @Test func aSpanIsEncodedWithEveryFieldWhereOpenTelemetryPutsIt() throws {
        let bytes = Self.request([Self.span], resource: [(key: "service.name", value: "ticketd")])
        let request = try #require(ProtobufFields(bytes))
        let resourceSpans = try #require(request[1].first?.message)
        let resource = try #require(resourceSpans[1].first?.message)
        #expect(resource.keyValues(1)["service.name"]?[1].first?.string == "ticketd")
        let scopeSpans = try #require(resourceSpans[2].first?.message)
        #expect(scopeSpans[1].first?.message?[1].first?.string == "ticketd")
        let span = try #require(scopeSpans[2].first?.message)

        #expect(span[1] == [.bytes(Self.bigEndian(Self.trace.high, Self.trace.low))])
        #expect(span[2] == [.bytes([0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31])])
        #expect(span[3].first?.string == "a=b")
        #expect(span[4] == [.bytes([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])])
        #expect(span[5].first?.string == "/buy/{eventId}")
        #expect(span[6] == [.varint(2)])  // SPAN_KIND_SERVER
        #expect(span[7] == [.fixed64(1_000)] && span[8] == [.fixed64(2_500)])
        #expect(span[16] == [.fixed32(1)])

        let attributes = span.keyValues(9)
        #expect(attributes["http.route"]?[1].first?.string == "/buy/{eventId}")
        #expect(attributes["http.response.status_code"]?[3] == [.varint(201)])
        #expect(attributes["ratio"]?[4] == [.fixed64(0.5.bitPattern)])
        #expect(attributes["fallback"]?[2] == [.varint(0)])
        let stripes = try #require(attributes["stripes"]?[5].first?.message)
        #expect(stripes[1].compactMap { $0.message?[3].first } == [.varint(1), .varint(2)])

        let event = try #require(span[11].first?.message)
        #expect(event[1] == [.fixed64(2_000)] && event[2].first?.string == "exception")
        let link = try #require(span[13].first?.message)
        #expect(link[1] == [.bytes(Self.bigEndian(7, 8))] && link[2] == [.bytes(Self.bigEndian(9))])
        let status = try #require(span[15].first?.message)
        #expect(status[2].first?.string == "boom" && status[3] == [.varint(2)])  // STATUS_CODE_ERROR
    }

    @Test func aRootSpanHasNoParentAndNegativeIntegersAreTwosComplement() throws {
        var root = Self.span
        root.parentSpanID = nil
        root.attributes = ["delta": -1, "long": .string(String(repeating: "x", count: 20_000))]  // lengths of 3 bytes
        let bytes = Self.request([root, root])
        let scopeSpans = try #require(ProtobufFields(bytes)?[1].first?.message?[2].first?.message)
        let spans = scopeSpans[2].compactMap(\.message)
        #expect(spans.count == 2)
        #expect(spans[0][4].isEmpty)
        #expect(spans[0].keyValues(9)["delta"]?[3] == [.varint(.max)])
        #expect(spans[1].keyValues(9)["long"]?[1].first?.string?.count == 20_000)
    }

    /// An attribute of 7 + `valueLength` bytes: lengths on either side of 128, where a length takes a second byte.
    @Test(arguments: 118...123) func aLengthOfOneOrTwoBytesIsWrittenWhole(valueLength: Int) throws {
        var span = Self.span
        span.attributes = ["k": .string(String(repeating: "v", count: valueLength)), "next": 1]
        let bytes = Self.request([span])
        let decoded = try #require(ProtobufFields(bytes)?[1].first?.message?[2].first?.message?[2].first?.message)
        #expect(decoded.keyValues(9)["k"]?[1].first?.string == String(repeating: "v", count: valueLength))
        #expect(decoded.keyValues(9)["next"]?[3] == [.varint(1)])
        #expect(decoded[5].first?.string == "/buy/{eventId}")
    }
}
