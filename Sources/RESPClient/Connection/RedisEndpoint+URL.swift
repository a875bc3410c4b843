/// Why a `REDIS_URL` could not be read.
public struct RedisURLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, in words meant for the person who wrote the URL.
    public let message: String

    public var description: String { self.message }
}

extension RedisEndpoint {
    /// `url` with the password of its user information replaced by `***` (all of the user information when it
    /// has no `:`), for messages and logs; a URL without user information as it is.
    ///
    /// The user information ends at the URL's last `@`: a Redis URL's path is a database number, and a password
    /// written without percent-encoding may hold a `/` or an `@`, which showed the password, or most of it, in the
    /// error that refused such a URL.
    public static func masked(_ url: String) -> String {
        guard let scheme = url.firstRange(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") else { return url }
        let userinfo = url[scheme.upperBound..<at]
        let kept = userinfo.firstIndex(of: ":").map { url[..<url.index(after: $0)] } ?? url[..<scheme.upperBound]
        return kept + "***" + url[at...]
    }

    /// Reads an endpoint from a URL of the form `redis://[[user]:password@]host[:port][/database]`.
    ///
    /// The port defaults to 6379 and the database to 0; user and password may be percent-encoded; an IPv6
    /// host is written in brackets (`redis://[::1]:6380`).
    /// - Throws: ``RedisURLError`` naming the problem, for any other scheme (`rediss://` included: TLS is not
    ///   supported), an empty host, a port outside 1…65535, a database that is not a non-negative integer, or a
    ///   query or fragment.
    public init(url: String) throws(RedisURLError) {
        func fail(_ message: String) -> RedisURLError { RedisURLError(message: "invalid Redis URL '\(Self.masked(url))': \(message)") }
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw fail("expected redis://host:port")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        switch scheme {
        case "redis": break
        case "rediss": throw fail("TLS (rediss://) is not supported; use redis://")
        default: throw fail("unsupported scheme '\(scheme)'; use redis://")
        }
        var rest = url[schemeEnd.upperBound...]
        if rest.contains("?") || rest.contains("#") {
            throw fail("query strings and fragments are not supported")
        }

        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }

        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = userInfo[..<colon]
                if !user.isEmpty { username = try Self.percentDecoded(user, fail) }
                password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], fail)
            } else if !userInfo.isEmpty {
                username = try Self.percentDecoded(userInfo, fail)
            }
        }

        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw fail("unclosed '[' in IPv6 host") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("unexpected text after IPv6 host") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw fail("the host is empty") }

        var port = 6379
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value), portText.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw fail("the port '\(portText)' is not a number from 1 to 65535")
            }
            port = value
        }

        var database = 0
        if !path.isEmpty {
            guard let value = Int(path), value >= 0, path.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw fail("the database '\(path)' is not a non-negative integer")
            }
            database = value
        }
        self.init(host: String(host), port: port, username: username, password: password, database: database)
    }

    private static func percentDecoded(
        _ text: Substring,
        _ fail: (String) -> RedisURLError
    ) throws(RedisURLError) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                throw fail("bad percent-encoding in the user information")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
