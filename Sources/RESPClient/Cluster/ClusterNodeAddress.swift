/// Where a cluster node listens, as the cluster itself names it (`CLUSTER SHARDS`, `MOVED`).
struct ClusterNodeAddress: Sendable, Hashable, CustomStringConvertible {
    let host: String
    let port: Int

    var description: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
}
