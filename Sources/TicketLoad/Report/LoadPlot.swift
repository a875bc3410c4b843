import Foundation

/// An SVG picture of a run, second by second: throughput above (answers and purchases per second), latency below
/// (p50 and p99 in milliseconds). A plain SVG file that any browser opens.
public enum LoadPlot {
    private static let width = 960.0
    private static let panelHeight = 260.0
    private static let left = 70.0
    private static let right = 20.0
    private static let top = 60.0
    private static let gap = 60.0

    /// A data line in a panel.
    private struct Series {
        var name: String
        var color: String
        var values: [Double]
    }

    /// The SVG document for `report`.
    public static func svg(_ report: LoadReport) -> String {
        let points = report.timeline
        let height = Self.top + 2 * Self.panelHeight + Self.gap + 50
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(Self.width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Self.left)" y="18" font-size="14" font-weight="bold">\(Self.escape(Self.title(report)))</text>
            <text x="\(Self.left)" y="34" font-size="12">\(Self.escape(Self.subtitle(report)))</text>

            """
        svg += Self.panel(
            title: "throughput (per second)",
            unit: "/s",
            series: [
                Series(name: "answers/s", color: "#1f77b4", values: points.map { Double($0.responses) / $0.length }),
                Series(name: "purchases (201)/s", color: "#2ca02c", values: points.map { Double($0.purchases) / $0.length }),
                Series(name: "errors/s", color: "#d62728", values: points.map { Double($0.errors) / $0.length }),
            ],
            y: Self.top
        )
        svg += Self.panel(
            title: "latency (ms)",
            unit: "ms",
            series: [
                Series(name: "p50", color: "#1f77b4", values: points.map(\.p50)),
                Series(name: "p99", color: "#ff7f0e", values: points.map(\.p99)),
            ],
            y: Self.top + Self.panelHeight + Self.gap
        )
        svg +=
            "<text x=\"\(Self.left + (Self.width - Self.left - Self.right) / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">seconds since start</text>\n"
        svg += "</svg>\n"
        return svg
    }

    private static func title(_ report: LoadReport) -> String {
        "ticket-load \(report.url) \(report.eventsLabel), \(report.connections) connections, \(report.mode)"
    }

    private static func subtitle(_ report: LoadReport) -> String {
        "\(report.purchasesPerSecond.formatted(decimals: 0)) purchases/s, p50 \(report.latency.p50.formatted(decimals: 1)) ms, "
            + "p99 \(report.latency.p99.formatted(decimals: 1)) ms, audit \(report.passed ? "PASS" : "FAIL")"
    }

    private static func panel(title: String, unit: String, series: [Series], y: Double) -> String {
        let plotWidth = Self.width - Self.left - Self.right
        let count = series.map(\.values.count).max() ?? 0
        let maxValue = Self.niceCeiling(series.flatMap(\.values).max() ?? 0)
        let xStep = count > 1 ? plotWidth / Double(count - 1) : 0
        var out = "<g>\n<text x=\"\(Self.left)\" y=\"\(y - 8)\" font-weight=\"bold\">\(Self.escape(title))</text>\n"
        out += "<rect x=\"\(Self.left)\" y=\"\(y)\" width=\"\(plotWidth)\" height=\"\(Self.panelHeight)\" fill=\"none\" stroke=\"#999\"/>\n"
        for tick in 0...4 {
            let value = maxValue * Double(tick) / 4
            let tickY = y + Self.panelHeight - Self.panelHeight * Double(tick) / 4
            out += "<line x1=\"\(Self.left)\" y1=\"\(tickY)\" x2=\"\(Self.left + plotWidth)\" y2=\"\(tickY)\" stroke=\"#eee\"/>\n"
            out += "<text x=\"\(Self.left - 6)\" y=\"\(tickY + 4)\" text-anchor=\"end\">\(Self.label(value)) \(unit)</text>\n"
        }
        let labelEvery = max(1, count / 10)
        for index in stride(from: 0, to: count, by: labelEvery) {
            let tickX = Self.left + Double(index) * xStep
            out += "<text x=\"\(tickX)\" y=\"\(y + Self.panelHeight + 16)\" text-anchor=\"middle\">\(index)</text>\n"
        }
        for (number, line) in series.enumerated() {
            let coordinates = line.values.enumerated().map { index, value in
                let pointX = Self.left + Double(index) * xStep
                let pointY = y + Self.panelHeight - (maxValue > 0 ? value / maxValue * Self.panelHeight : 0)
                return "\(pointX.formatted(decimals: 1)),\(pointY.formatted(decimals: 1))"
            }
            out += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\" points=\"\(coordinates.joined(separator: " "))\"/>\n"
            let legendX = Self.left + plotWidth - 170
            let legendY = y + 16 + Double(number) * 16
            out +=
                "<line x1=\"\(legendX)\" y1=\"\(legendY - 4)\" x2=\"\(legendX + 20)\" y2=\"\(legendY - 4)\" stroke=\"\(line.color)\" stroke-width=\"2\"/>\n"
            out += "<text x=\"\(legendX + 26)\" y=\"\(legendY)\">\(Self.escape(line.name))</text>\n"
        }
        return out + "</g>\n"
    }

    /// The smallest of 1, 2, 2.5 or 5 times a power of ten at or above `value` (1 for 0).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        var power = 1.0
        while power * 10 <= value { power *= 10 }
        while power > value { power /= 10 }
        for step in [1.0, 2.0, 2.5, 5.0, 10.0] where step * power >= value { return step * power }
        return 10 * power
    }

    private static func label(_ value: Double) -> String {
        value >= 100 || value == value.rounded() ? value.formatted(decimals: 0) : value.formatted(decimals: 1)
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
