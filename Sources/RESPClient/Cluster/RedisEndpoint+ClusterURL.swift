extension RedisEndpoint {
    /// The URL scheme of a cluster seed list: `redis+cluster://[[user]:password@]host:port[,host:port…]`.
    public static let clusterScheme = "redis+cluster"

    /// Reads the seed nodes of a `redis+cluster://` URL, or returns `nil` for a URL of another scheme.
    ///
    /// Each comma-separated host is read like the host of a `redis://` URL (port 6379 by default, IPv6 in
    /// brackets); the user information, written once before the first host, applies to all of them.
    /// - Throws: ``RedisURLError`` for an empty list, a bad host or port, or a database other than 0 (a cluster
    ///   has only database 0).
    public static func clusterSeeds(url: String) throws(RedisURLError) -> [RedisEndpoint]? {
        let prefix = Self.clusterScheme + "://"
        guard url.lowercased().hasPrefix(prefix) else { return nil }
        var rest = url.dropFirst(prefix.count)
        var userInfo: Substring = ""
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[...at]
            rest = rest[rest.index(after: at)...]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[slash...]
            rest = rest[..<slash]
        }
        guard path.isEmpty || path == "/" || path == "/0" else {
            throw RedisURLError(message: "invalid Redis URL '\(Self.masked(url))': a cluster has only database 0")
        }
        let hosts = rest.split(separator: ",", omittingEmptySubsequences: false)
        guard !rest.isEmpty, !hosts.contains(where: \.isEmpty) else {
            throw RedisURLError(message: "invalid Redis URL '\(Self.masked(url))': expected \(prefix)host:port[,host:port…]")
        }
        return try hosts.map { host throws(RedisURLError) in try RedisEndpoint(url: "redis://\(userInfo)\(host)") }
    }
}
