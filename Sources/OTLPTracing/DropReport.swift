import Logging

/// Logs the spans that a full queue drops, from counts taken at intervals: a warning when dropping starts, and a
/// notice with how many were lost when an interval passes without a drop, or at the end.
struct DropReport {
    /// Spans dropped since dropping started; `nil` while none are being dropped.
    private(set) var dropping: Int?

    /// Takes in the spans dropped since the last count.
    mutating func note(_ dropped: Int, logger: Logger) {
        switch (self.dropping, dropped > 0) {
        case (nil, true):
            self.dropping = dropped
            logger.warning("tracing: span queue full, dropping spans", metadata: ["spans_dropped": "\(dropped)"])
        case (let total?, true):
            self.dropping = total + dropped
        case (let total?, false):
            self.dropping = nil
            logger.notice("tracing: span queue has room again", metadata: ["spans_dropped": "\(total)"])
        case (nil, false):
            break
        }
    }

    /// Reports the spans dropped since dropping started, if it has not stopped: the exporter stops.
    mutating func finish(logger: Logger) {
        guard let total = self.dropping else { return }
        self.dropping = nil
        logger.notice("tracing: stopping; spans dropped since the queue filled", metadata: ["spans_dropped": "\(total)"])
    }
}
