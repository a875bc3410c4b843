import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TicketCore
import Tracing

@testable import TicketHTTP

/// The tracing middleware without a real tracer: what a trace header says, and that the router works with tracing
/// on and the no-op tracer. `TraceExportTests` checks real spans, exported by the real binary.
@Suite struct TraceContextTests {
    static let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    @Test func theTraceIDIsATraceparentsSecondField() {
        #expect(TraceIDMetadata.traceID(Self.traceparent) == "0af7651916cd43dd8448eb211c80319c")
        #expect(TraceIDMetadata.traceID("00-0af7651916cd43dd-b7ad6b7169203331-01") == nil)
        #expect(TraceIDMetadata.traceID("not a traceparent") == nil)
    }

    @Test func logLinesNameTheTraceOfAMarkedRecordingContext() {
        let marked = InstrumentationContext.topLevel.marked(recording: true, traceparent: Self.traceparent)
        let named = InstrumentationContext.$current.withValue(marked) { TraceIDMetadata.provider.get() }
        #expect(named == [TraceIDMetadata.key: "0af7651916cd43dd8448eb211c80319c"])
        let unsampled = InstrumentationContext.topLevel.marked(recording: false)
        #expect(InstrumentationContext.$current.withValue(unsampled) { TraceIDMetadata.provider.get() }.isEmpty)
        #expect(TraceIDMetadata.provider.get().isEmpty)
    }

    @Test(arguments: [false, true]) func withoutATracerNoResponseNamesATrace(tracing: Bool) async throws {
        var app = TestApp()
        app.configuration.tracing = tracing
        try await app.test { client in
            try await client.execute(uri: "/buy/1", method: .post, headers: [.traceparent: Self.traceparent]) { response in
                #expect(response.status == .created)
                #expect(response.headers[.traceresponse] == nil)
            }
        }
        let purchaseLine = try #require(app.logs.all.first { $0.message == "purchase" })
        #expect(purchaseLine.metadata[TraceIDMetadata.key] == nil)
        #expect(purchaseLine.metadata[RequestIDAssignment.metadataKey] != nil)
    }
}
