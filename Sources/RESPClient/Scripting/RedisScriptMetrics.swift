import Metrics

/// Metrics of script calls, shared by every executor.
enum RedisScriptMetrics {
    /// Counts one `EVALSHA` answered `NOSCRIPT` and resent as `EVAL` (`redis_script_noscript_total`).
    static func countNoScript() {
        Counter(label: "redis_script_noscript_total").increment()
    }
}
