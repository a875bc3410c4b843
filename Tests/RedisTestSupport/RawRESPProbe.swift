import Glibc

/// A minimal non-blocking TCP connection that sends raw RESP and reads one reply, used to find
/// out whether a server is up without any client library.
///
/// Every wait is a poll with a deadline that suspends the task between attempts (`Task.sleep`),
/// so a probe against a stopped (SIGSTOP) server never parks a concurrency-pool thread.
final class RawRESPProbe {
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Opens a connection to `host:port`, or returns `nil` when it is refused or does not
    /// complete before `deadline`.
    init?(host: String, port: Int, deadline: ContinuousClock.Instant) async {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            return nil
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            guard errno == EINPROGRESS, await Self.poll(fd, events: Int16(POLLOUT), deadline: deadline) else {
                close(fd)
                return nil
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else {
                close(fd)
                return nil
            }
        }
        self.fd = fd
    }

    deinit {
        close(self.fd)
    }

    /// Sends `request` and reads one complete RESP reply (simple, error, integer, bulk or the
    /// header line of an aggregate).
    ///
    /// - Returns: The raw reply bytes, or `nil` if nothing complete arrived before `deadline`
    ///   or the connection failed.
    func exchange(_ request: String, deadline: ContinuousClock.Instant) async -> [UInt8]? {
        var bytes = Array(request.utf8)
        while !bytes.isEmpty {
            let sent = send(self.fd, bytes, bytes.count, Int32(MSG_NOSIGNAL))
            if sent > 0 {
                bytes.removeFirst(sent)
            } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                guard await Self.poll(self.fd, events: Int16(POLLOUT), deadline: deadline) else { return nil }
            } else {
                return nil
            }
        }
        while true {
            if let length = Self.replyLength(self.buffer) {
                let reply = Array(self.buffer[..<length])
                self.buffer.removeFirst(length)
                return reply
            }
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            let count = recv(self.fd, &chunk, chunk.count, 0)
            if count > 0 {
                self.buffer += chunk[..<count]
            } else if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                guard await Self.poll(self.fd, events: Int16(POLLIN), deadline: deadline) else { return nil }
            } else {
                return nil
            }
        }
    }

    /// The length of the first complete reply in `bytes`, or `nil` if it is not complete yet.
    /// Aggregates count as complete once their header line is, which is enough for a probe.
    static func replyLength(_ bytes: [UInt8]) -> Int? {
        guard let first = bytes.first,
            let lineEnd = bytes.indices.dropFirst().first(where: { bytes[$0] == UInt8(ascii: "\n") && bytes[$0 - 1] == UInt8(ascii: "\r") })
        else { return nil }
        guard first == UInt8(ascii: "$") || first == UInt8(ascii: "=") || first == UInt8(ascii: "!") else {
            return lineEnd + 1
        }
        guard let size = Int(String(decoding: bytes[1..<(lineEnd - 1)], as: UTF8.self)), size >= 0 else {
            return lineEnd + 1  // `$-1`, a null bulk string
        }
        let total = lineEnd + 1 + size + 2
        return bytes.count >= total ? total : nil
    }

    /// Waits until `fd` is ready for `events` or `deadline` passes, sleeping 2 ms between checks.
    private static func poll(_ fd: Int32, events: Int16, deadline: ContinuousClock.Instant) async -> Bool {
        while true {
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = Glibc.poll(&descriptor, 1, 0)
            if ready > 0 {
                return true
            }
            if ready < 0 && errno != EINTR {
                return false
            }
            if ContinuousClock.now >= deadline {
                return false
            }
            do {
                try await Task.sleep(for: .milliseconds(2))
            } catch {
                return false
            }
        }
    }
}
