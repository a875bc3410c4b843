/// A tracing variable whose value cannot be used.
public struct OTLPConfigurationError: Error, CustomStringConvertible {
    /// The variable, e.g. `OTEL_TRACES_SAMPLER`.
    public let variable: String
    /// Its value.
    public let value: String
    /// What is wrong with it.
    public let problem: String

    public var description: String { "\(self.variable)=\(self.value) \(self.problem)" }
}
