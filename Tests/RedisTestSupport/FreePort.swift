import Foundation
import Glibc
import Synchronization

/// Hands out free TCP ports on `127.0.0.1` for test fixtures.
///
/// A port is found by binding a socket to port 0, reading the port the kernel picked and closing
/// the socket again. Because parallel tests in the same process could otherwise be handed the
/// same port between that close and the moment a server binds it, every port handed out is
/// remembered in a process-wide set until ``release(_:)`` is called, and never handed out twice.
///
/// Another process can still take the port in that window; ``RedisServerFixture`` detects the
/// resulting "Address already in use" and retries with a new port.
///
/// ```swift
/// let port = try FreePort.reserve()
/// defer { FreePort.release(port) }
/// ```
public enum FreePort {
    /// Ports handed out and not yet released, for the whole process.
    private static let reserved = Mutex<Set<Int>>([])

    /// Finds a free TCP port on `host` that no other caller in this process holds, and reserves it.
    ///
    /// - Parameter host: The IPv4 address to probe; defaults to `127.0.0.1`.
    /// - Returns: A port number that stays reserved until ``release(_:)``.
    /// - Throws: ``RedisFixtureError`` with code `.noFreePort` when the socket calls fail or
    ///   no unreserved port turned up after 100 attempts.
    public static func reserve(host: String = "127.0.0.1") throws -> Int {
        for _ in 0..<100 {
            let port = try self.probe(host: host)
            if self.claim(port) {
                return port
            }
        }
        throw RedisFixtureError(.noFreePort, "no unreserved free TCP port on \(host) after 100 attempts")
    }

    /// Marks `port` as handed out, for callers that chose a port themselves.
    ///
    /// - Parameter port: The port to claim.
    /// - Returns: `false` when another caller in this process already holds the port.
    @discardableResult
    public static func claim(_ port: Int) -> Bool {
        self.reserved.withLock { $0.insert(port).inserted }
    }

    /// Returns a port obtained from ``reserve(host:)`` or ``claim(_:)`` so it can be handed out again.
    ///
    /// - Parameter port: The port to release; releasing a port that is not held does nothing.
    public static func release(_ port: Int) {
        _ = self.reserved.withLock { $0.remove(port) }
    }

    /// Whether `port` is currently held by some caller in this process.
    public static func isReserved(_ port: Int) -> Bool {
        self.reserved.withLock { $0.contains(port) }
    }

    /// Binds a socket to `host:0` and returns the port the kernel assigned.
    private static func probe(host: String) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw RedisFixtureError(.noFreePort, "socket() failed: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw RedisFixtureError(.noFreePort, "'\(host)' is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            throw RedisFixtureError(.noFreePort, "bind(\(host):0) failed: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        guard named == 0 else {
            throw RedisFixtureError(.noFreePort, "getsockname failed: \(String(cString: strerror(errno)))")
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
