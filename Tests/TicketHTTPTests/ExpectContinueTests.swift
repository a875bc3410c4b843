import NIOCore
import NIOPosix
import Testing

@testable import TicketHTTP

/// A request that says `Expect: 100-continue` hears `100 Continue` before it sends its body (``HTTP1Semantics``).
@Suite struct ExpectContinueTests {
    @Test(.timeLimit(.minutes(1))) func aPurchaseThatExpectsContinueHearsItBeforeSendingItsBody() async throws {
        try await MalformedRequestTests.withLiveApp { port in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            let body = #"{"userId":"alice"}"#
            let (interim, final) = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(
                        string: "POST /buy/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
                            + "Expect: 100-continue\r\nConnection: close\r\n\r\n"
                    )
                )
                // Nothing more is sent until the interim answer comes: without it, this waits until the time limit.
                var received = ByteBuffer()
                var chunks = inbound.makeAsyncIterator()
                while !String(buffer: received).contains("\r\n\r\n"), var chunk = try await chunks.next() { received.writeBuffer(&chunk) }
                let interim = String(buffer: received)
                try await outbound.write(ByteBuffer(string: body))
                while var chunk = try await chunks.next() { received.writeBuffer(&chunk) }
                return (interim, String(buffer: received))
            }
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(interim)")
            let responses = MalformedRequestTests.responses(in: final)
            #expect(responses.count == 2 && responses.last?.head.hasPrefix("HTTP/1.1 201 ") == true, "\(final)")
            #expect(responses.last?.body.contains(#""userId":"alice""#) == true, "\(final)")
        }
    }
}
