import Synchronization

/// Render durations of the recent past, for the percentiles of `GET /admin/pdf-stats` (the histogram metric has
/// them only as buckets), and counts since start.
final class RenderStatistics: Sendable {
    private struct State {
        var recent: [Duration] = []
        var nextSlot = 0
        var rendered = 0
        var failed = 0
    }

    /// How many of the latest durations are kept.
    let window: Int
    private let state = Mutex(State())

    init(window: Int = 4096) { self.window = window }

    /// Records one finished render.
    func recordRender(_ duration: Duration) {
        self.state.withLock { state in
            state.rendered += 1
            if state.recent.count < self.window {
                state.recent.append(duration)
            } else {
                state.recent[state.nextSlot] = duration
                state.nextSlot = (state.nextSlot + 1) % self.window
            }
        }
    }

    /// Records one failed render.
    func recordFailure() { self.state.withLock { $0.failed += 1 } }

    /// Renders and failures since start, and the `p`-quantiles (0…1) of the recent durations (`nil` before the first).
    func snapshot(quantiles: [Double]) -> (rendered: Int, failed: Int, quantiles: [Duration?]) {
        let (recent, rendered, failed) = self.state.withLock { ($0.recent, $0.rendered, $0.failed) }
        let sorted = recent.sorted()
        let values = quantiles.map { quantile -> Duration? in
            guard !sorted.isEmpty else { return nil }
            let rank = Int((quantile * Double(sorted.count)).rounded(.up)) - 1
            return sorted[min(max(rank, 0), sorted.count - 1)]
        }
        return (rendered, failed, values)
    }
}
