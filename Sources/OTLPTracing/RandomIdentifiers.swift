import Synchronization

/// Trace and span ids from SplitMix64 over one atomic counter seeded at random: unique enough for tracing (ids need
/// not be secret), with no lock and no system call per id, where `SystemRandomNumberGenerator` would make one.
final class RandomIdentifiers: Sendable {
    private let counter = Atomic(UInt64.random(in: .min ... .max))

    private func next() -> UInt64 {
        var mixed = self.counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A new trace id, never the invalid all-zero one.
    func traceID() -> TraceID {
        let high = self.next()
        let low = self.next()
        return TraceID(high: high, low: high | low == 0 ? 1 : low)
    }

    /// A new span id, never the invalid zero.
    func spanID() -> SpanID {
        let value = self.next()
        return SpanID(value == 0 ? 1 : value)
    }
}
