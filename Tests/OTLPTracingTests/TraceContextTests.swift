import Testing

@testable import OTLPTracing

@Suite struct TraceContextTests {
    static let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    @Test func aTraceparentReadsAndWritesBackTheSame() throws {
        let context = try #require(TraceContext(traceparent: Self.traceparent, traceState: "congo=t61rcWkgMzE"))
        #expect(context.traceID.hex == "0af7651916cd43dd8448eb211c80319c")
        #expect(context.spanID.hex == "b7ad6b7169203331")
        #expect(context.sampled)
        #expect(context.traceState == "congo=t61rcWkgMzE")
        #expect(context.traceparent == Self.traceparent)
        #expect(TraceContext(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")?.sampled == false)
    }

    @Test(arguments: [
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  // version ff is invalid
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  // all-zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  // zero span id
        "00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01",  // short trace id
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01",  // short span id
        "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",  // not hex
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",  // uppercase hex: W3C allows lowercase only
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",  // version 00 has four fields
        "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "",
    ])
    func anInvalidTraceparentIsIgnored(traceparent: String) {
        #expect(TraceContext(traceparent: traceparent) == nil)
    }

    @Test func aLaterVersionMayAppendFields() {
        let context = TraceContext(traceparent: "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-later")
        #expect(context?.spanID.hex == "b7ad6b7169203331")
    }

    @Test func anEmptyTracestateIsNone() {
        #expect(TraceContext(traceparent: Self.traceparent, traceState: "")?.traceState == nil)
    }
}
