import Synchronization

/// Decides, at a fixed ratio, which requests that continue no trace start one, before the tracer is asked.
///
/// A tracer's ratio sampler decides only once a span is being started, and an unsampled span still carries its ids
/// and context, for the 99 requests in 100 that a 1 % sampler drops. ticketd takes that one decision earlier:
/// `OTEL_TRACES_SAMPLER=parentbased_traceidratio` runs the tracer with `parentbased_always_on` behind this sampler
/// (see `TracingSetup`), so an unsampled request never reaches the tracer, while a request with a `traceparent`
/// follows its parent's decision in the tracer as before.
///
/// The draws are SplitMix64 over one atomic counter: no lock, no system call.
public final class RootSampler: Sendable {
    /// The share of requests without a `traceparent` that are traced, from 0 to 1.
    public let ratio: Double
    private let threshold: UInt64
    private let counter: Atomic<UInt64>

    /// Creates a sampler that traces `ratio` (clamped to 0…1) of the requests it is asked about.
    public init(ratio: Double) {
        let ratio = min(max(ratio, 0), 1)
        self.ratio = ratio
        // The draws below `threshold` are sampled: a `ratio` share of all 2⁶⁴ values; 1 samples every draw.
        self.threshold = ratio >= 1 ? .max : UInt64(ratio * 0x1p64)
        self.counter = Atomic(UInt64.random(in: .min ... .max))
    }

    /// Whether the next request starts a trace.
    public func samples() -> Bool {
        if self.threshold == .max { return true }
        var mixed = self.counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31) < self.threshold
    }
}
