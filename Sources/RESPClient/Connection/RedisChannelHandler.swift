import Logging
import NIOCore

/// The one handler of a Redis connection's pipeline: decodes replies, matches them to callers, writes commands
/// with one flush per event-loop tick, and enforces deadlines and keep-alive.
///
/// Every method runs on the channel's event loop. The bookkeeping lives in ``RedisConnectionStateMachine``;
/// this type only performs the actions it returns.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var stateMachine: RedisConnectionStateMachine<RedisReplySink>
    private var decoder: NIOSingleStepByteToMessageProcessor<RESPDecoder>
    private var context: ChannelHandlerContext?
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let keepAliveInterval: TimeAmount
    private let keepAliveTimeout: TimeAmount

    /// Commands of the current tick, written together by one `write` and `flush`.
    private var outbound = ByteBuffer()
    private var flushScheduled = false

    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    private var keepAliveTask: Scheduled<Void>?
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var nextKeepAliveID: UInt64 = .max

    init(
        eventLoop: any EventLoop,
        maxInFlight: Int,
        decoderLimits: RESPDecoderLimits,
        keepAliveInterval: TimeAmount,
        keepAliveTimeout: TimeAmount,
        logger: Logger
    ) {
        self.eventLoop = eventLoop
        self.stateMachine = RedisConnectionStateMachine(maxInFlight: maxInFlight)
        self.decoder = NIOSingleStepByteToMessageProcessor(RESPDecoder(limits: decoderLimits), maximumBufferSize: nil)
        self.keepAliveInterval = keepAliveInterval
        self.keepAliveTimeout = keepAliveTimeout
        self.logger = logger
    }

    /// The number of commands written and not yet answered.
    var inFlightCount: Int { self.stateMachine.inFlightCount }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { self.startKeepAlive() }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.startKeepAlive()
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(.outcomeUnknown(.connectionClosed, "the connection closed before the reply arrived"))
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(.outcomeUnknown(.connectionClosed, "the connection closed before the reply arrived"))
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = self.unwrapInboundIn(data)
        self.lastActivity = self.eventLoop.now
        do {
            try self.decoder.process(buffer: bytes) { reply in
                self.handleReply(reply, context: context)
            }
        } catch {
            self.logger.error("closing the connection: Redis sent bytes that are not RESP", metadata: ["redis.error": "\(error)"])
            self.closeWithError(.outcomeUnknown(.protocolError, "Redis sent bytes that are not RESP: \(error)"), context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.writeWaitingCommands()
        self.flushIfNeeded()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.stateMachine.writabilityChanged(isWritable: context.channel.isWritable)
        self.writeWaitingCommands()
        self.flushIfNeeded()
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("closing the connection after an error", metadata: ["redis.error": "\(error)"])
        self.closeWithError(.outcomeUnknown(.connectionClosed, "connection error: \(error)"), context: context)
    }

    // MARK: Commands

    /// Sends `command` for the caller identified by `id`, answering `promise` with its reply or a ``RedisError``.
    func submit(id: UInt64, command: RESPCommand, promise: RedisReplySink, deadline: NIODeadline) {
        self.eventLoop.assertInEventLoop()
        switch self.stateMachine.submit(id: id, command: command, promise: promise, deadline: deadline) {
        case .write(let command):
            self.append(command)
            self.armTimer(for: deadline)
        case .queued:
            self.armTimer(for: deadline)
        case .fail(let promise, let error):
            promise.fail(error)
        }
    }

    /// The caller identified by `id` was cancelled.
    func cancel(id: UInt64) {
        if let (promise, error) = self.stateMachine.cancel(id: id) {
            promise.fail(error)
        }
    }

    /// Stops taking commands and closes the channel once every accepted command is answered.
    func drainAndClose() {
        if self.stateMachine.startDraining(), let context = self.context {
            context.close(promise: nil)
        }
    }

    private func handleReply(_ reply: RESPValue, context: ChannelHandlerContext) {
        switch self.stateMachine.receive(reply) {
        case .succeed(let promise, let value):
            promise.succeed(value)
        case .fail(let promise, let error):
            promise.fail(error)
        case .discard:
            break
        case .closeConnection(let error):
            self.logger.warning("closing the connection: \(error.message)")
            self.closeWithError(error, context: context)
            return
        }
        if self.stateMachine.shouldCloseAfterDrain {
            context.close(promise: nil)
        }
    }

    private func writeWaitingCommands() {
        for command in self.stateMachine.commandsToWrite() {
            self.append(command)
        }
    }

    private func append(_ command: RESPCommand) {
        self.outbound.writeImmutableBuffer(command.bytes)
        if !self.flushScheduled {
            self.flushScheduled = true
            // Runs after the tasks already queued on this loop, so the commands they submit share one write.
            self.eventLoop.assumeIsolatedUnsafeUnchecked().execute { self.flushIfNeeded() }
        }
    }

    private func flushIfNeeded() {
        self.flushScheduled = false
        guard self.outbound.readableBytes > 0, let context = self.context else { return }
        // Take the bytes out before writing: the write can re-enter this handler (a writability change fires
        // while it runs), and the same bytes must never go out twice.
        let bytes = self.outbound
        self.outbound.clear()
        context.writeAndFlush(self.wrapOutboundOut(bytes), promise: nil)
    }

    // MARK: Deadlines

    private func armTimer(for deadline: NIODeadline) {
        if let current = self.timerDeadline, current <= deadline { return }
        self.timer?.cancel()
        self.timerDeadline = deadline
        self.timer = self.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) {
            self.timerFired()
        }
    }

    private func timerFired() {
        self.timer = nil
        self.timerDeadline = nil
        let now = self.eventLoop.now
        let result = self.stateMachine.timeout(now: now, repliesFlowing: now - self.lastActivity < self.keepAliveTimeout)
        for (promise, error) in result.failed { promise.fail(error) }
        if result.closeConnection, let context = self.context {
            self.logger.warning("closing the connection: Redis sent no reply before the deadline")
            self.closeWithError(.outcomeUnknown(.timeout, "no reply before the deadline; Redis may have run it"), context: context)
            return
        }
        if let next = self.stateMachine.nextDeadline {
            self.armTimer(for: next)
        }
    }

    // MARK: Keep-alive

    private func startKeepAlive() {
        guard self.keepAliveTask == nil, self.keepAliveInterval > .zero else { return }
        self.lastActivity = self.eventLoop.now
        self.scheduleKeepAlive()
    }

    private func scheduleKeepAlive() {
        self.keepAliveTask = self.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: self.keepAliveInterval) {
            guard self.stateMachine.isAcceptingCommands else {
                self.keepAliveTask = nil
                return
            }
            self.sendKeepAliveIfIdle()
            self.scheduleKeepAlive()
        }
    }

    /// Sends a PING on a connection that has seen no traffic for a whole interval, so that a silently dead peer
    /// is found by the normal deadline instead of by the next caller.
    private func sendKeepAliveIfIdle() {
        guard self.stateMachine.isIdle, self.eventLoop.now - self.lastActivity >= self.keepAliveInterval
        else { return }
        let promise = self.eventLoop.makePromise(of: RESPValue.self)
        promise.futureResult.whenFailure { [logger] error in
            logger.debug("keep-alive PING failed", metadata: ["redis.error": "\(error)"])
        }
        // Keep-alive ids count down from the top so they never meet callers' ids, which count up from zero.
        self.nextKeepAliveID -= 1
        self.submit(
            id: self.nextKeepAliveID,
            command: RESPCommand("PING"),
            promise: .promise(promise),
            deadline: self.eventLoop.now + self.keepAliveTimeout
        )
    }

    // MARK: Failing

    private func closeWithError(_ error: RedisError, context: ChannelHandlerContext) {
        self.failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        self.timer?.cancel()
        self.timer = nil
        self.timerDeadline = nil
        self.keepAliveTask?.cancel()
        self.keepAliveTask = nil
        for (promise, failure) in self.stateMachine.close(error: error) {
            promise.fail(failure)
        }
    }
}
