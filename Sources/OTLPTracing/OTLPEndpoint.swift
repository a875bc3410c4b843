/// Where spans are posted: a plain `http://` URL's host, port and path.
public struct OTLPEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The collector's host name or address (an IPv6 address without its brackets).
    public let host: String
    /// The collector's port: the URL's, or 80.
    public let port: Int
    /// The request path, from `/`.
    public let path: String

    /// Reads `http://host[:port][/path]`; `nil` for anything else (`https://` included: ticketd's exporter speaks
    /// plain HTTP, to a collector or agent nearby).
    public init?(url: String) {
        guard url.lowercased().hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let path = rest[authority.endIndex...].prefix { $0 != "?" && $0 != "#" }
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
        self.host = String(host)
        self.port = port
        self.path = path.isEmpty ? "/" : String(path)
    }

    /// This endpoint with `suffix` appended to its path, as OTLP appends `v1/traces` to a base endpoint.
    func appending(path suffix: String) -> OTLPEndpoint {
        var url = self.description
        if url.hasSuffix("/") { url.removeLast() }
        return OTLPEndpoint(url: url + suffix) ?? self
    }

    /// `host:port` as a URL or a `Host` header writes it, an IPv6 address in brackets.
    var authority: String { "\(self.host.contains(":") ? "[\(self.host)]" : self.host):\(self.port)" }

    public var description: String { "http://\(self.authority)\(self.path)" }
}
