import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryTracing
import Testing
import Tracing

@testable import TicketHTTP

/// The server span the tracing middleware records, on an in-memory tracer.
@Suite struct RequestTracingMiddlewareTests {
    /// A matched route names the span and is its `http.route`; a request that matches none keeps the no-route name and
    /// has no `http.route`: Hummingbird's router calls it `NotFound`, which both were.
    @Test func aSpanIsNamedAfterItsRouteAndOneWithoutStaysUnnamed() async throws {
        let tracer = InMemoryTracer()
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: RequestTracingMiddleware(tracer: tracer))
        router.get("/hello/{name}") { _, _ in "hello" }
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/hello/ann", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/nowhere", method: .post) { #expect($0.status == .notFound) }
        }
        let spans = tracer.finishedSpans
        #expect(spans.map(\.operationName) == ["/hello/{name}", RequestTracingMiddleware.unmatchedName])
        #expect(spans.first?.attributes["http.route"]?.toSpanAttribute() == .string("/hello/{name}"))
        #expect(spans.last?.attributes["http.route"] == nil)
        #expect(spans.last?.attributes["http.response.status_code"]?.toSpanAttribute() == .int64(404))
        #expect(spans.last?.attributes["url.path"]?.toSpanAttribute() == .string("/nowhere"))
    }
}
