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

    /// W3C's rules for a `tracestate` passed on: whitespace around members goes; a member that breaks the syntax, a
    /// repeated key or more than 32 members drop the whole value; past 512 characters members go, the long ones first.
    @Test func aTracestateIsPassedOnWithinW3CsLimits() {
        func passedOn(_ value: String) -> String? { TraceContext(traceparent: Self.traceparent, traceState: value)?.traceState }
        #expect(passedOn(" congo=t61rcWkgMzE , rojo@vendor=00f067aa0ba902b7,") == "congo=t61rcWkgMzE,rojo@vendor=00f067aa0ba902b7")
        #expect(passedOn("@@@ bad,,==") == nil)
        #expect(passedOn("Upper=1") == nil)
        #expect(passedOn("a=1,a=2") == nil)
        #expect(passedOn((1...33).map { "k\($0)=v" }.joined(separator: ",")) == nil)
        #expect(passedOn((1...32).map { "k\($0)=v" }.joined(separator: ","))?.split(separator: ",").count == 32)
        let long = "big=" + String(repeating: "x", count: 200)
        let shorts = (1...30).map { "k\($0)=" + String(repeating: "v", count: 10) }
        let trimmed = passedOn(([long] + shorts).joined(separator: ","))
        #expect(trimmed?.hasPrefix("k1=") == true && trimmed.map { $0.utf8.count <= 512 } == true, "\(trimmed ?? "nil")")
        #expect(passedOn("k=" + String(repeating: "x", count: 60_000)) == nil)
    }

    @Test func anEmptyTracestateIsNone() {
        #expect(TraceContext(traceparent: Self.traceparent, traceState: "")?.traceState == nil)
    }
}
