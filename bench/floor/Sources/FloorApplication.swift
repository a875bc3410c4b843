import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Tracing

/// The Hummingbird floor: no middleware but the minimal tracing one when asked, the same listening socket settings
/// as ticketd (a backlog of 4096, 256 accepts per read).
enum FloorApplication {
    /// A body the size of a purchase's answer.
    static let purchaseSizedBody = ByteBuffer(
        string: #"{"purchaseId":"01JD5N0000000000000000000000","eventId":"1","ticketId":"1-000042","userId":null,"#
            + #""purchasedAt":"2026-11-28T12:00:00.123Z","ticketUrl":"/tickets/01JD5N0000000000000000000000"}"#
    )

    /// Serves on `port` until interrupted.
    static func run(port: Int, tracing: Bool) async throws {
        if tracing { InstrumentationSystem.bootstrap(FloorTracer()) }
        let router = Router()
        if tracing { router.add(middleware: MinimalTracingMiddleware()) }
        router.get("livez") { _, _ in "ok" }
        router.post("hop") { _, _ -> Response in
            if tracing {
                await withSpan("EVALSHA purchase.lua", ofKind: .client) { span in
                    span.attributes["db.system.name"] = "redis"
                    span.attributes["ticketd.event_id"] = "1"
                    await Self.hop()
                }
            } else {
                await Self.hop()
            }
            return Response(
                status: .created,
                headers: [.contentType: "application/json", .location: "/tickets/01JD5N0000000000000000000000"],
                body: ResponseBody(byteBuffer: Self.purchaseSizedBody)
            )
        }
        var logger = Logger(label: "floor")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), backlog: 4096),
            onServerRunning: { channel in
                _ = try? await channel.setOption(ChannelOptions.maxMessagesPerRead, value: 256).get()
            },
            logger: logger
        )
        try await app.runService()
    }

    /// One suspension, resumed from an event-loop thread, as a reply from Redis resumes a purchase.
    private static func hop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            MultiThreadedEventLoopGroup.singleton.any().execute { continuation.resume() }
        }
    }
}
