/// Where the service under load listens: an `http://host[:port]` URL.
///
/// Only plain HTTP is spoken; a path after the authority is refused rather than ignored, so that a typo such as
/// `http://localhost:3049/buy` does not silently test the wrong thing.
public struct TargetURL: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address to connect to.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// Parses `http://host[:port][/]`; the port defaults to 80. IPv6 literals go in brackets (`http://[::1]:3049`).
    /// - Throws: ``LoadError`` with a message naming what is wrong.
    public init(_ text: String) throws(LoadError) {
        guard text.hasPrefix("http://") else {
            throw LoadError.invalidArgument("the URL must start with http:// (got \(text))")
        }
        var authority = Substring(text.dropFirst("http://".count))
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.isEmpty, !authority.contains("/") else {
            throw LoadError.invalidArgument("the URL must be http://host[:port] with no path (got \(text))")
        }
        var host = authority
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw LoadError.invalidArgument("unclosed [ in \(text)") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let number = Int(rest.dropFirst()) else { throw LoadError.invalidArgument("bad port in \(text)") }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let number = Int(authority[authority.index(after: colon)...]) else { throw LoadError.invalidArgument("bad port in \(text)") }
            port = number
        }
        guard !host.isEmpty, (1...65_535).contains(port) else { throw LoadError.invalidArgument("bad host or port in \(text)") }
        self.host = String(host)
        self.port = port
    }

    /// The `Host` header value: `host:port`, with brackets around an IPv6 literal.
    public var hostHeader: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }

    public var description: String { "http://\(self.hostHeader)" }
}
