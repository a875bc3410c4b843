/// What `/health` and `/metrics` say about the running process: its version and how long it has been up.
struct ServiceInfo: Sendable {
    /// The running version.
    let version: String
    /// When the router was built.
    let startedAt: ContinuousClock.Instant

    init(version: String) {
        self.version = version
        self.startedAt = .now
    }

    /// Seconds since start, rounded to milliseconds.
    var uptimeSeconds: Double {
        let elapsed = ContinuousClock.now - self.startedAt
        let millis = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        return Double(millis) / 1000
    }
}
