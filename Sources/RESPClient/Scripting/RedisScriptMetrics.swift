import Metrics

/// Metrics of script calls, shared by every executor.
enum RedisScriptMetrics {
    /// Counts one `EVALSHA` answered `NOSCRIPT` and resent as `EVAL` (`redis_script_noscript_total`).
    static func countNoScript() {
        Self.noScriptCounter().increment()
    }

    /// The counter of `EVALSHA` calls answered `NOSCRIPT`; the metrics factory hands out one for all its makers.
    static func noScriptCounter() -> Counter {
        Counter(label: "redis_script_noscript_total")
    }
}
