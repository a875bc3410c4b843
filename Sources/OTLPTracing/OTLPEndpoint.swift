/// Where spans are posted: a plain `http://` URL's host, port, path and query.
public struct OTLPEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The collector's host name or address (an IPv6 address without its brackets).
    public let host: String
    /// The collector's port: the URL's, or 80.
    public let port: Int
    /// The request path, from `/`.
    public let path: String
    /// The URL's query, without its `?`, sent with every export; `nil` when it has none.
    public let query: String?

    /// Reads `http://host[:port][/path][?query]`, without the `#fragment` a request does not send; `nil` for
    /// anything else (`https://` included: ticketd's exporter speaks plain HTTP, to a collector or agent nearby), or
    /// for a URL with a space or control character, which no request line can carry.
    public init?(url: String) {
        guard url.lowercased().hasPrefix("http://"), !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F })
        else { return nil }
        let rest = url.dropFirst("http://".count).prefix { $0 != "#" }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let path = rest[authority.endIndex...].prefix { $0 != "?" }
        let query = rest[path.endIndex...].dropFirst()
        let host: Substring
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { return nil }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            guard let number = Int(authority[authority.index(after: colon)...]) else { return nil }
            host = authority[..<colon]
            port = number
        } else {
            host = authority
        }
        guard !host.isEmpty, !host.contains("@"), (1...65535).contains(port) else { return nil }
        self.init(
            host: String(host),
            port: port,
            path: path.isEmpty ? "/" : String(path),
            query: rest[path.endIndex...].isEmpty ? nil : String(query)
        )
    }

    private init(host: String, port: Int, path: String, query: String?) {
        self.host = host
        self.port = port
        self.path = path
        self.query = query
    }

    /// This endpoint with `suffix` appended to its path, as OTLP appends `v1/traces` to a base endpoint; the query
    /// stays after the whole path.
    func appending(path suffix: String) -> OTLPEndpoint {
        let path = self.path.hasSuffix("/") ? self.path.dropLast() : Substring(self.path)
        return OTLPEndpoint(host: self.host, port: self.port, path: path + suffix, query: self.query)
    }

    /// The request target of an export: the path and, when there is one, the query.
    var requestTarget: String { self.query.map { "\(self.path)?\($0)" } ?? self.path }

    /// `host:port` as a URL or a `Host` header writes it, an IPv6 address in brackets.
    var authority: String { "\(self.host.contains(":") ? "[\(self.host)]" : self.host):\(self.port)" }

    public var description: String { "http://\(self.authority)\(self.requestTarget)" }
}
