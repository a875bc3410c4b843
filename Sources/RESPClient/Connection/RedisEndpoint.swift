/// Where a Redis server is and how to log in to it, as given by a `redis://` URL.
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// ACL user name for `AUTH`, if any.
    public var username: String?
    /// Password for `AUTH`, if any.
    public var password: String?
    /// Logical database selected with `SELECT`.
    public var database: Int

    /// Creates an endpoint.
    public init(host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// The endpoint as a URL, with the password masked.
    public var description: String {
        var text = "redis://"
        if let username { text += username }
        if self.password != nil { text += ":***" }
        if self.username != nil || self.password != nil { text += "@" }
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        text += "\(host):\(self.port)"
        if self.database != 0 { text += "/\(self.database)" }
        return text
    }
}
