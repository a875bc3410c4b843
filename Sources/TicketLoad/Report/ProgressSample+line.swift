extension ProgressSample {
    /// One line: `[  3s] 5000 open  12345 answers  4115/s  1000 sold  0 errors`, with the rate since `previous`.
    public func line(since previous: ProgressSample?) -> String {
        let seconds = Double(self.elapsed.nanoseconds) / 1e9
        let previousSeconds = previous.map { Double($0.elapsed.nanoseconds) / 1e9 } ?? 0
        let rate = Double(self.responses - (previous?.responses ?? 0)) / max(seconds - previousSeconds, 1e-9)
        return "[\(seconds.formatted(decimals: 0).leftPadded(to: 4))s] \(self.openConnections) open  \(self.responses) answers  "
            + "\(rate.formatted(decimals: 0))/s  \(self.purchases) sold  \(self.errors) errors"
    }
}
