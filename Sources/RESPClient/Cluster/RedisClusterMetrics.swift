import Metrics

/// Metrics of the cluster client: `redis_cluster_redirects_total{kind="moved|ask"}` and
/// `redis_cluster_topology_refreshes_total{result="ok|failed"}`.
enum RedisClusterMetrics {
    /// Counts one `MOVED` or `ASK` followed.
    static func countRedirect(_ kind: ClusterRedirection.Kind) {
        Counter(label: "redis_cluster_redirects_total", dimensions: [("kind", kind == .moved ? "moved" : "ask")]).increment()
    }

    /// Counts one topology refresh.
    static func countRefresh(succeeded: Bool) {
        Counter(label: "redis_cluster_topology_refreshes_total", dimensions: [("result", succeeded ? "ok" : "failed")]).increment()
    }
}
