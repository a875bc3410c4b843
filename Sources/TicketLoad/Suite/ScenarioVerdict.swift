import Foundation

/// How one scenario of the `--full` suite went.
public struct ScenarioVerdict: Sendable, Codable {
    /// The scenario's name.
    public var name: String
    /// Whether the audit found nothing wrong and the scenario's own expectations held.
    public var passed: Bool
    /// One line of figures.
    public var summary: String
    /// What went wrong, in words.
    public var findings: [String]
    /// The run's report.
    public var report: LoadReport

    /// A verdict.
    public init(name: String, passed: Bool, summary: String, findings: [String], report: LoadReport) {
        self.name = name
        self.passed = passed
        self.summary = summary
        self.findings = findings
        self.report = report
    }

    /// `PASS  race to sell-out  1000 of 1000 tickets sold once …`, and a line per finding when it failed.
    public var line: String {
        var text = "\(self.passed ? "PASS" : "FAIL")  \(self.name.padding(toLength: 24, withPad: " ", startingAt: 0))\(self.summary)"
        for finding in self.findings.prefix(LoadReport.findingsShown) { text += "\n      - \(finding)" }
        return text
    }
}
