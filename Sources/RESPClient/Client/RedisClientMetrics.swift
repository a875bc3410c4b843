import Metrics
import Synchronization

/// The client's metrics, reported through the bootstrapped `MetricsSystem` (a no-op until one is bootstrapped).
///
/// Names follow Prometheus conventions: `redis_commands_total{command,result}`,
/// `redis_command_duration_seconds{command}`, `redis_connections`, `redis_circuit_open`, `redis_reconnects_total`,
/// and (in scripts) `redis_script_noscript_total`.
final class RedisClientMetrics: Sendable {
    enum Result: String, CaseIterable {
        case ok
        case serverError = "server_error"
        case notSent = "not_sent"
        case outcomeUnknown = "outcome_unknown"

        init(_ error: RedisError) {
            switch error.kind {
            case .serverError: self = .serverError
            case .notSent: self = .notSent
            default: self = .outcomeUnknown
            }
        }
    }

    private struct CommandMetrics: Sendable {
        let results: [Counter]
        let duration: Metrics.Timer
    }

    private let commands = Mutex<[String: CommandMetrics]>([:])
    private let connections = Gauge(label: "redis_connections")
    private let circuitOpen = Gauge(label: "redis_circuit_open")
    private let reconnects = Counter(label: "redis_reconnects_total")
    /// Made with the client, so that the counter is scraped at 0 before the first `NOSCRIPT` (a dashboard or alert
    /// on it saw no data); scripts count through ``RedisScriptMetrics``, under the same label.
    private let noScripts = RedisScriptMetrics.noScriptCounter()

    /// Sets how many connections are up.
    func setLiveConnections(_ count: Int) { self.connections.record(count) }

    /// Sets whether the circuit breaker is open.
    func setCircuitOpen(_ open: Bool) { self.circuitOpen.record(open ? 1 : 0) }

    /// Counts one lost connection that will be reopened.
    func countReconnect() { self.reconnects.increment() }

    /// Records one finished call of `command`.
    func record(command: String, result: Result, duration: Duration) {
        let metrics = self.commands.withLock { commands in
            if let metrics = commands[command] { return metrics }
            let metrics = CommandMetrics(
                results: Result.allCases.map {
                    Counter(label: "redis_commands_total", dimensions: [("command", command), ("result", $0.rawValue)])
                },
                duration: Metrics.Timer(label: "redis_command_duration_seconds", dimensions: [("command", command)], preferredDisplayUnit: .seconds)
            )
            commands[command] = metrics
            return metrics
        }
        metrics.results[Result.allCases.firstIndex(of: result)!].increment()
        metrics.duration.record(duration: duration)
    }
}
