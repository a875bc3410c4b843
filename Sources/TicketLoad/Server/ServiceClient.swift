import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The few one-off requests a run makes besides the purchases: reading events' counts before and after.
///
/// One connection per request (`Connection: close`), on NIO's async channel API.
struct ServiceClient: Sendable {
    /// The address the run uses.
    let address: SocketAddress
    /// The `Host` header.
    let hostHeader: String
    let group: any EventLoopGroup
    /// How long a request may take, answer included.
    let timeout: Duration

    /// The service at the first of `addresses` that answers `GET /events/:eventId` for `probeEvent` within
    /// `timeout`.
    /// - Throws: ``LoadError/unreachable(_:)`` naming the URL when none answers.
    static func connect(
        to target: TargetURL,
        probeEvent: String,
        timeout: Duration,
        group: any EventLoopGroup
    ) async throws -> ServiceClient {
        var failures: [String] = []
        for address in try await AddressResolver.addresses(host: target.host, port: target.port) {
            let client = ServiceClient(address: address, hostHeader: target.hostHeader, group: group, timeout: timeout)
            do {
                _ = try await client.get("/events/\(probeEvent)")
                return client
            } catch {
                failures.append("\(address): \(error)")
            }
        }
        throw LoadError.unreachable(
            "no service answers at \(target) (\(failures.joined(separator: "; "))); start one with `make run` or pass --url"
        )
    }

    /// `GET /events/:eventId`.
    /// - Throws: ``LoadError/unexpectedAnswer(_:)`` when the event is unknown or the body is not its counts.
    func eventCounts(_ event: String) async throws -> EventCounts {
        let (status, body) = try await self.get("/events/\(event)")
        guard status == 200 else {
            throw LoadError.unexpectedAnswer("GET /events/\(event) answered \(status): \(String(buffer: body).prefix(300))")
        }
        do {
            return try JSONDecoder().decode(EventCounts.self, from: Data(body.readableBytesView))
        } catch {
            throw LoadError.unexpectedAnswer("GET /events/\(event) answered a body without counts: \(String(buffer: body).prefix(300))")
        }
    }

    /// One GET on a new connection: the status and the whole body.
    /// - Throws: ``LoadError/unreachable(_:)`` when the whole answer does not come within the timeout (a service that
    ///   takes connections and never answers), or the connection closes before it.
    func get(_ path: String) async throws -> (status: Int, body: ByteBuffer) {
        let channel = try await ClientBootstrap(group: self.group)
            .connectTimeout(.seconds(5))
            .connect(to: self.address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        let deadline = channel.channel.eventLoop.scheduleTask(in: TimeAmount(self.timeout)) { channel.channel.close(promise: nil) }
        defer { deadline.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "Host", value: self.hostHeader)
            head.headers.add(name: "Connection", value: "close")
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            var status = 0
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let responseHead): status = Int(responseHead.status.code)
                case .body(var chunk): body.writeBuffer(&chunk)
                case .end: return (status, body)
                }
            }
            throw LoadError.unreachable("no whole answer to GET \(path) within \(self.timeout) before the connection closed")
        }
    }
}
