import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every address a host name stands for, in the resolver's order.
///
/// A name such as `localhost` often means `::1` first and `127.0.0.1` second, while the service may listen on
/// IPv4 only, so the runner tries each in turn and keeps the first that answers (as wrk does). The name is
/// resolved once, on NIO's thread pool, and every connection then goes to the address chosen.
enum AddressResolver {
    /// The TCP addresses of `host:port`.
    /// - Throws: ``LoadError/unreachable(_:)`` when the name does not resolve.
    static func addresses(host: String, port: Int) async throws -> [SocketAddress] {
        try await NIOThreadPool.singleton.runIfActive {
            try Self.resolve(host: host, port: port)
        }
    }

    private static func resolve(host: String, port: Int) throws(LoadError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw LoadError.unreachable("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let address = info.pointee.ai_addr {
                switch info.pointee.ai_family {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                default:
                    break
                }
            }
            cursor = info.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw LoadError.unreachable("\(host) has no TCP address") }
        return addresses
    }
}
