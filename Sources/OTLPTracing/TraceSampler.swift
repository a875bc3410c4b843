/// Which new spans record: OpenTelemetry's built-in samplers, named as `OTEL_TRACES_SAMPLER` names them.
public struct TraceSampler: Sendable, Equatable {
    /// The rule for a span without a parent (and for every span when the sampler does not follow parents).
    public enum Rule: Sendable, Equatable {
        case alwaysOn
        case alwaysOff
        /// Samples a trace when the last eight bytes of its id fall below `ratio` of their range, so that every
        /// instance decides alike about one trace.
        case traceIDRatio(Double)
    }

    /// The rule for spans it decides itself.
    public let rule: Rule
    /// Whether a span with a parent follows the parent's decision (the `parentbased_` samplers).
    public let followsParent: Bool
    private let threshold: UInt64

    /// A sampler of `rule` that follows parents when `followsParent`; a ratio is clamped to 0…1.
    public init(rule: Rule, followsParent: Bool) {
        self.followsParent = followsParent
        switch rule {
        case .alwaysOn, .alwaysOff:
            self.rule = rule
            self.threshold = 0
        case .traceIDRatio(let ratio):
            let ratio = min(max(ratio, 0), 1)
            self.rule = .traceIDRatio(ratio)
            self.threshold = ratio >= 1 ? .max : UInt64(ratio * 0x1p64)
        }
    }

    /// The sampler an `OTEL_TRACES_SAMPLER` value and its `OTEL_TRACES_SAMPLER_ARG` name, or `nil` for a name it does
    /// not know or a ratio that is not a number from 0 to 1. A ratio sampler without an argument samples everything,
    /// as OpenTelemetry's default ratio is 1. Whitespace around either is ignored.
    public init?(name: String, argument: String?) {
        var name = name.trimmingWhitespace().lowercased()
        let followsParent = name.hasPrefix("parentbased_")
        if followsParent { name.removeFirst("parentbased_".count) }
        switch name {
        case "always_on": self.init(rule: .alwaysOn, followsParent: followsParent)
        case "always_off": self.init(rule: .alwaysOff, followsParent: followsParent)
        case "traceidratio":
            guard let ratio = argument.map({ Double($0.trimmingWhitespace()) }) ?? 1, (0...1).contains(ratio) else { return nil }
            self.init(rule: .traceIDRatio(ratio), followsParent: followsParent)
        default: return nil
        }
    }

    /// Whether a new span of trace `traceID` under `parent` (`nil` for a root span) records.
    func samples(traceID: TraceID, parent: TraceContext?) -> Bool {
        if self.followsParent, let parent { return parent.sampled }
        switch self.rule {
        case .alwaysOn: return true
        case .alwaysOff: return false
        case .traceIDRatio: return self.threshold == .max || traceID.low < self.threshold
        }
    }
}
