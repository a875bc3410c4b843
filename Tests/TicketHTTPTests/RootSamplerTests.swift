import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryTracing
import Testing

@testable import TicketHTTP

/// ticketd's own decision for requests that continue no trace, taken before the tracer is asked.
@Suite struct RootSamplerTests {
    @Test func samplesItsRatioOfRequests() {
        let none = RootSampler(ratio: 0)
        let all = RootSampler(ratio: 1)
        let quarter = RootSampler(ratio: 0.25)
        #expect(!(0..<10_000).contains { _ in none.samples() })
        #expect((0..<10_000).allSatisfy { _ in all.samples() })
        let sampled = (0..<100_000).filter { _ in quarter.samples() }.count
        #expect((24_000...26_000).contains(sampled), "\(sampled) of 100000")
        #expect(RootSampler(ratio: 7).ratio == 1 && RootSampler(ratio: -1).ratio == 0)
    }

    /// Runs `body` against an app that answers `GET /hello` behind the tracing middleware on `tracer`, with a root
    /// sampler that samples no new trace.
    static func withAppSamplingNoRoot(
        _ tracer: InMemoryTracer,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: RequestTracingMiddleware(tracer: tracer, rootSampler: RootSampler(ratio: 0)))
        router.get("/hello") { _, _ in "hello" }
        try await Application(router: router).test(.router, body)
    }

    /// A request that the sampler leaves out never reaches the tracer: no span, no extraction; one that carries a
    /// `traceparent` is the tracer's to decide, whatever the sampler says.
    @Test func anUnsampledRequestNeverReachesTheTracer() async throws {
        let tracer = InMemoryTracer()
        try await Self.withAppSamplingNoRoot(tracer) { client in
            try await client.execute(uri: "/hello", method: .get) { response in
                #expect(response.status == .ok)
            }
            #expect(tracer.finishedSpans.isEmpty && tracer.activeSpans.isEmpty && tracer.performedContextExtractions.isEmpty)

            // The in-memory tracer reads its own fields, not the `traceparent`'s value.
            let continued: HTTPFields = [
                .traceparent: TraceContextTests.traceparent, HTTPField.Name(InMemoryTracer.traceIDKey)!: "trace",
                HTTPField.Name(InMemoryTracer.spanIDKey)!: "span",
            ]
            try await client.execute(uri: "/hello", method: .get, headers: continued) { response in
                #expect(response.status == .ok)
            }
            #expect(tracer.finishedSpans.map(\.operationName) == ["/hello"])
        }
    }

    /// A `traceparent` that the tracer does not read continues nothing: the root sampler decides, as without one.
    @Test func aTraceparentTheTracerCannotReadIsANewTraceForTheSampler() async throws {
        let tracer = InMemoryTracer()
        try await Self.withAppSamplingNoRoot(tracer) { client in
            for value in ["garbage", "00-00000000000000000000000000000000-0000000000000000-01"] {
                try await client.execute(uri: "/hello", method: .get, headers: [.traceparent: value]) { response in
                    #expect(response.status == .ok)
                }
            }
            #expect(tracer.finishedSpans.isEmpty && tracer.activeSpans.isEmpty)
        }
    }
}
