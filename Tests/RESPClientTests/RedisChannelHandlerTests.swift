import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import RESPClient

/// The connection handler driven through an `EmbeddedChannel`: exact bytes out, replies in, virtual time.
@Suite struct RedisChannelHandlerTests {
    /// Counts flushes that pass on their way to the socket.
    final class FlushCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var flushes = 0
        func flush(context: ChannelHandlerContext) {
            self.flushes += 1
            context.flush()
        }
    }

    struct Harness {
        let channel = EmbeddedChannel()
        let loop: EmbeddedEventLoop
        let handler: RedisChannelHandler
        let counter = FlushCounter()
        var nextID: UInt64 = 0

        init(maxInFlight: Int = 4096, keepAlive: TimeAmount = .zero) throws {
            self.loop = self.channel.embeddedEventLoop
            self.handler = RedisChannelHandler(
                eventLoop: self.channel.embeddedEventLoop,
                maxInFlight: maxInFlight,
                decoderLimits: RESPDecoderLimits(),
                keepAliveInterval: keepAlive,
                keepAliveTimeout: .seconds(1),
                logger: .init(label: "test")
            )
            try self.channel.pipeline.syncOperations.addHandler(self.counter)
            try self.channel.pipeline.syncOperations.addHandler(self.handler)
            try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        }

        mutating func submit(_ command: RESPCommand, timeout: TimeAmount = .seconds(10)) -> (UInt64, EventLoopFuture<RESPValue>) {
            let promise = self.loop.makePromise(of: RESPValue.self)
            self.nextID += 1
            self.handler.submit(id: self.nextID, command: command, promise: .promise(promise), deadline: self.loop.now + timeout)
            return (self.nextID, promise.futureResult)
        }

        /// Everything written so far, as one string.
        func written() throws -> String {
            self.loop.run()
            var text = ""
            while var buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
                text += buffer.readString(length: buffer.readableBytes) ?? ""
            }
            return text
        }

        func reply(_ text: String) throws {
            try self.channel.writeInbound(ByteBuffer(string: text))
        }
    }

    static func result(_ future: EventLoopFuture<RESPValue>) -> Result<RESPValue, RedisError>? {
        var outcome: Result<RESPValue, RedisError>?
        future.assumeIsolated().whenComplete { result in
            outcome = result.mapError { $0 as! RedisError }
        }
        return outcome
    }

    @Test func repliesAreMatchedToCallersInOrder() throws {
        var harness = try Harness()
        let futures = (0..<1000).map { harness.submit(RESPCommand("INCRBY", "k", .integer($0))).1 }
        let expected = (0..<1000).map { String(decoding: RESPCommand("INCRBY", "k", .integer($0)).bytes.readableBytesView, as: UTF8.self) }
        #expect(try harness.written() == expected.joined())

        // The first half in one burst, the rest split across reads in the middle of replies.
        try harness.reply((0..<500).map { ":\($0)\r\n" }.joined())
        let rest = (500..<1000).map { ":\($0)\r\n" }.joined()
        var remaining = Substring(rest)
        while !remaining.isEmpty {
            let piece = remaining.prefix(7)
            try harness.reply(String(piece))
            remaining = remaining.dropFirst(7)
        }
        for (index, future) in futures.enumerated() {
            #expect(try Self.result(future)?.get() == .integer(Int64(index)))
        }
    }

    @Test func anErrorReplyFailsOnlyItsOwnCommand() throws {
        var harness = try Harness()
        let first = harness.submit(RESPCommand("GET", "a")).1
        let second = harness.submit(RESPCommand("LPOP", "a")).1
        let third = harness.submit(RESPCommand("GET", "b")).1
        _ = try harness.written()
        try harness.reply("$1\r\nx\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$-1\r\n")
        #expect(try Self.result(first)?.get().string == "x")
        guard case .failure(let error) = Self.result(second) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .serverError)
        #expect(error.serverErrorCode == "WRONGTYPE")
        #expect(try Self.result(third)?.get() == .null)
        #expect(harness.channel.isActive)
    }

    @Test func aReplyWithNothingInFlightClosesTheConnection() throws {
        let harness = try Harness()
        try harness.reply("+OK\r\n")
        #expect(!harness.channel.isActive)
    }

    @Test func commandsOfOneTickShareOneFlush() throws {
        var harness = try Harness()
        let before = harness.counter.flushes
        for index in 0..<100 { _ = harness.submit(RESPCommand("SET", "k", .integer(index))) }
        harness.loop.run()
        #expect(harness.counter.flushes - before == 1)
        let expected = (0..<100).map { String(decoding: RESPCommand("SET", "k", .integer($0)).bytes.readableBytesView, as: UTF8.self) }
        #expect(try harness.written() == expected.joined())
    }

    @Test func malformedBytesFailEveryPendingCallerAndClose() throws {
        var harness = try Harness()
        let first = harness.submit(RESPCommand("GET", "a")).1
        let second = harness.submit(RESPCommand("GET", "b")).1
        _ = try harness.written()
        try? harness.reply("?garbage\r\n")
        for future in [first, second] {
            guard case .failure(let error) = Self.result(future) else {
                Issue.record("expected a failure")
                continue
            }
            #expect(error.kind == .outcomeUnknown)
            #expect(error.reason == .protocolError)
        }
        #expect(!harness.channel.isActive)
    }

    @Test func anOverdueHeadClosesTheConnectionAndFailsEveryone() throws {
        var harness = try Harness()
        let first = harness.submit(RESPCommand("GET", "a"), timeout: .seconds(1)).1
        let second = harness.submit(RESPCommand("GET", "b"), timeout: .seconds(5)).1
        _ = try harness.written()
        harness.loop.advanceTime(by: .milliseconds(999))
        #expect(Self.result(first) == nil)
        harness.loop.advanceTime(by: .milliseconds(1))
        for future in [first, second] {
            guard case .failure(let error) = Self.result(future) else {
                Issue.record("expected a failure")
                continue
            }
            #expect(error.kind == .outcomeUnknown)
            #expect(error.reason == .timeout)
        }
        #expect(!harness.channel.isActive)
    }

    @Test func anOverdueHeadOfASlowButAnsweringServerFailsOnlyItsCaller() throws {
        var harness = try Harness()
        let slow = harness.submit(RESPCommand("GET", "a"), timeout: .seconds(2)).1
        let later = harness.submit(RESPCommand("GET", "b"), timeout: .seconds(5)).1
        _ = try harness.written()
        // Bytes keep arriving (a reply still in transit), so the server is alive, only slow.
        harness.loop.advanceTime(by: .milliseconds(1500))
        try harness.channel.writeInbound(ByteBuffer(string: ""))
        harness.loop.advanceTime(by: .milliseconds(500))
        guard case .failure(let error) = Self.result(slow) else {
            Issue.record("expected the overdue caller to time out")
            return
        }
        #expect(error.kind == .outcomeUnknown && error.reason == .timeout)
        #expect(harness.channel.isActive)
        try harness.reply("$1\r\nA\r\n$1\r\nB\r\n")
        #expect(try Self.result(later)?.get().string == "B")
    }

    @Test func aLaterCallersShorterDeadlineFailsOnlyThatCaller() throws {
        var harness = try Harness()
        let slow = harness.submit(RESPCommand("GET", "a"), timeout: .seconds(5)).1
        let impatient = harness.submit(RESPCommand("GET", "b"), timeout: .seconds(1)).1
        let third = harness.submit(RESPCommand("GET", "c"), timeout: .seconds(5)).1
        _ = try harness.written()
        harness.loop.advanceTime(by: .seconds(1))
        guard case .failure(let error) = Self.result(impatient) else {
            Issue.record("expected the impatient caller to time out")
            return
        }
        #expect(error.kind == .outcomeUnknown && error.reason == .timeout)
        #expect(Self.result(slow) == nil)
        #expect(harness.channel.isActive)
        // Its late reply is dropped; the others still get their own.
        try harness.reply("$1\r\nA\r\n$1\r\nB\r\n$1\r\nC\r\n")
        #expect(try Self.result(slow)?.get().string == "A")
        #expect(try Self.result(third)?.get().string == "C")
    }

    @Test func cancellingAWrittenCommandLeavesTheOthersUntouched() throws {
        var harness = try Harness()
        let first = harness.submit(RESPCommand("GET", "a")).1
        let (cancelledID, cancelled) = harness.submit(RESPCommand("GET", "b"))
        let third = harness.submit(RESPCommand("GET", "c")).1
        _ = try harness.written()
        harness.handler.cancel(id: cancelledID)
        guard case .failure(let error) = Self.result(cancelled) else {
            Issue.record("expected the cancelled caller to fail")
            return
        }
        #expect(error.kind == .outcomeUnknown && error.reason == .cancelled)
        try harness.reply(":1\r\n:2\r\n:3\r\n")
        #expect(try Self.result(first)?.get() == .integer(1))
        #expect(try Self.result(third)?.get() == .integer(3))
    }

    @Test func theInFlightCapHoldsCommandsBackUntilRepliesMakeRoom() throws {
        var harness = try Harness(maxInFlight: 2)
        let futures = (1...3).map { harness.submit(RESPCommand("GET", .string("k\($0)"))).1 }
        let written = try harness.written()
        #expect(written.contains("k1") && written.contains("k2") && !written.contains("k3"))
        // A cancelled waiting command is never written.
        try harness.reply(":1\r\n")
        #expect(try harness.written().contains("k3"))
        try harness.reply(":2\r\n:3\r\n")
        #expect(try futures.map { try Self.result($0)?.get() } == [.integer(1), .integer(2), .integer(3)])
    }

    @Test func aCommandCancelledWhileWaitingIsNeverSent() throws {
        var harness = try Harness(maxInFlight: 1)
        _ = harness.submit(RESPCommand("GET", "first"))
        let (waitingID, waiting) = harness.submit(RESPCommand("GET", "second"))
        _ = try harness.written()
        harness.handler.cancel(id: waitingID)
        guard case .failure(let error) = Self.result(waiting) else {
            Issue.record("expected the waiting caller to fail")
            return
        }
        #expect(error.kind == .notSent && error.reason == .cancelled)
        try harness.reply(":1\r\n")
        #expect(try !harness.written().contains("second"))
    }

    @Test func closingFailsInFlightAsUnknownAndWaitingAsNotSent() throws {
        var harness = try Harness(maxInFlight: 1)
        let written = harness.submit(RESPCommand("GET", "a")).1
        let waiting = harness.submit(RESPCommand("GET", "b")).1
        _ = try harness.written()
        try harness.channel.close().wait()
        #expect(Self.result(written).flatMap { try? $0.get() } == nil)
        if case .failure(let error) = Self.result(written) { #expect(error.kind == .outcomeUnknown) }
        if case .failure(let error) = Self.result(waiting) { #expect(error.kind == .notSent && error.reason == .connectionClosed) }
    }

    @Test func anIdleConnectionSendsAKeepAlivePing() throws {
        let harness = try Harness(keepAlive: .seconds(5))
        #expect(try harness.written() == "")
        harness.loop.advanceTime(by: .seconds(5))
        #expect(try harness.written() == "*1\r\n$4\r\nPING\r\n")
        try harness.reply("+PONG\r\n")
        #expect(harness.channel.isActive)
        // An unanswered keep-alive is a dead connection.
        harness.loop.advanceTime(by: .seconds(5))
        #expect(try harness.written() == "*1\r\n$4\r\nPING\r\n")
        harness.loop.advanceTime(by: .seconds(1))
        #expect(!harness.channel.isActive)
    }

    @Test func drainingRefusesNewCommandsAndClosesWhenIdle() throws {
        var harness = try Harness()
        let pending = harness.submit(RESPCommand("GET", "a")).1
        _ = try harness.written()
        harness.handler.drainAndClose()
        let refused = harness.submit(RESPCommand("GET", "b")).1
        if case .failure(let error) = Self.result(refused) {
            #expect(error.kind == .notSent && error.reason == .shuttingDown)
        } else {
            Issue.record("expected a refusal while draining")
        }
        #expect(harness.channel.isActive)
        try harness.reply("$1\r\nv\r\n")
        #expect(try Self.result(pending)?.get().string == "v")
        harness.loop.run()
        #expect(!harness.channel.isActive)
    }
}
