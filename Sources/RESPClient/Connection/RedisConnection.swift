import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One multiplexed TCP connection to Redis: many callers in flight at once, replies matched in order.
///
/// Callers on any thread call ``execute(_:deadline:)``; the command hops to the channel's event loop, where
/// ``RedisChannelHandler`` writes it (one flush per loop tick for all callers) and completes the caller's promise
/// when its reply arrives. Created by ``connect(configuration:eventLoop:id:logger:)``, which also runs the
/// handshake, so a connection handed out is ready for commands.
final class RedisConnection: Sendable {
    /// A number unique within the client, for logs (`redis.connection_id`).
    let id: Int
    let channel: any Channel
    private let handler: NIOLoopBound<RedisChannelHandler>
    private let nextCommandID = Atomic<UInt64>(0)
    private let outstanding = Atomic<Int>(0)
    /// Commands handed over from other threads, waiting for one event-loop task to submit them all.
    private let handover = Mutex<[Submission]>([])

    private struct Submission: Sendable {
        let id: UInt64
        let command: RESPCommand
        let sink: RedisReplySink
        let deadline: NIODeadline
    }

    private init(id: Int, channel: any Channel, handler: NIOLoopBound<RedisChannelHandler>) {
        self.id = id
        self.channel = channel
        self.handler = handler
    }

    /// Commands submitted through this connection and not yet answered.
    var outstandingCount: Int { self.outstanding.load(ordering: .relaxed) }

    /// Completes when the channel has closed, for whatever reason.
    var closeFuture: EventLoopFuture<Void> { self.channel.closeFuture }

    /// Opens a connection and runs the handshake: `AUTH` and `SELECT` when configured, then `CLIENT SETNAME`
    /// (or `PING`), all in one write.
    /// - Throws: ``RedisError`` `notSent(.connectionFailed)` with the reason (refused, timed out, or the server's
    ///   error reply such as `WRONGPASS` or `ERR max number of clients reached`).
    static func connect(
        configuration: RedisConnectionConfiguration,
        eventLoop: any EventLoop,
        id: Int,
        logger: Logger
    ) async throws(RedisError) -> RedisConnection {
        var logger = logger
        logger[metadataKey: "redis.connection_id"] = "\(id)"
        let endpoint = configuration.endpoint
        let channel: any Channel
        let handler: NIOLoopBound<RedisChannelHandler>
        do {
            // The initializer hands the handler back itself: a server that refuses us may close the channel
            // before a later pipeline lookup could find it.
            let handlerPromise = eventLoop.makePromise(of: NIOLoopBound<RedisChannelHandler>.self)
            let connect = ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(.socketOption(.so_keepalive), value: 1)
                // Thousands of multiplexed callers write in bursts; NIO's default 64 KiB mark would hold most of
                // a burst back as "not writable" while Redis reads it in microseconds.
                .channelOption(.writeBufferWaterMark, value: ChannelOptions.Types.WriteBufferWaterMark(low: 1 << 20, high: 4 << 20))
                .channelInitializer { [logger] channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = RedisChannelHandler(
                            eventLoop: channel.eventLoop,
                            maxInFlight: configuration.maxInFlight,
                            decoderLimits: configuration.decoderLimits,
                            keepAliveInterval: TimeAmount(configuration.keepAliveInterval),
                            keepAliveTimeout: TimeAmount(configuration.keepAliveTimeout),
                            logger: logger
                        )
                        try channel.pipeline.syncOperations.addHandler(handler)
                        handlerPromise.succeed(NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port)
            connect.whenFailure { handlerPromise.fail($0) }
            channel = try await connect.get()
            handler = try await handlerPromise.futureResult.get()
        } catch {
            throw .notSent(.connectionFailed, "cannot connect to \(endpoint): \(error)")
        }

        let connection = RedisConnection(id: id, channel: channel, handler: handler)
        let handshake = Self.handshake(for: configuration)
        let results = await connection.pipeline(handshake, deadline: .now() + TimeAmount(configuration.connectTimeout))
        for (command, result) in zip(handshake, results) {
            if case .failure(let error) = result {
                connection.close()
                throw .notSent(.connectionFailed, "\(command.name) failed during the handshake with \(endpoint): \(error.message)")
            }
        }
        logger.debug("connected", metadata: ["redis.node": "\(endpoint)"])
        return connection
    }

    private static func handshake(for configuration: RedisConnectionConfiguration) -> [RESPCommand] {
        let endpoint = configuration.endpoint
        var commands: [RESPCommand] = []
        if let password = endpoint.password {
            if let username = endpoint.username {
                commands.append(RESPCommand("AUTH", .string(username), .string(password)))
            } else {
                commands.append(RESPCommand("AUTH", .string(password)))
            }
        }
        if endpoint.database != 0 {
            commands.append(RESPCommand("SELECT", .integer(endpoint.database)))
        }
        if let name = configuration.clientName {
            commands.append(RESPCommand("CLIENT", "SETNAME", .string(name)))
        } else {
            commands.append(RESPCommand("PING"))
        }
        return commands
    }

    /// Sends one command and waits for its reply.
    ///
    /// Cancelling the calling task answers it at once: `notSent(.cancelled)` if the command had not been
    /// written, `outcomeUnknown(.cancelled)` if it had; other callers on the connection are not affected.
    /// - Throws: ``RedisError``: the server's error reply, `outcomeUnknown` when the deadline passes or the
    ///   connection is lost after writing, `notSent` when it never left.
    func execute(_ command: RESPCommand, deadline: NIODeadline) async throws(RedisError) -> RESPValue {
        guard !Task.isCancelled else { throw .notSent(.cancelled, "cancelled before it was sent") }
        let id = self.nextCommandID.wrappingAdd(1, ordering: .relaxed).oldValue
        let handler = self.handler
        self.outstanding.add(1, ordering: .relaxed)
        defer { self.outstanding.subtract(1, ordering: .relaxed) }
        do {
            return try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { continuation in
                    self.submit([Submission(id: id, command: command, sink: .continuation(continuation), deadline: deadline)])
                }
            } onCancel: {
                handler.eventLoop.execute { handler.value.cancel(id: id) }
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw .outcomeUnknown(.connectionClosed, "\(error)")
        }
    }

    /// Hands commands to the handler: at once on the event loop; from elsewhere through the handover list, which
    /// one event-loop task empties, so that a burst of callers costs one task, not one each.
    private func submit(_ submissions: [Submission]) {
        let handler = self.handler
        if handler.eventLoop.inEventLoop {
            for submission in submissions {
                handler.value.submit(id: submission.id, command: submission.command, promise: submission.sink, deadline: submission.deadline)
            }
            return
        }
        let first = self.handover.withLock { handover in
            handover.append(contentsOf: submissions)
            return handover.count == submissions.count
        }
        guard first else { return }
        handler.eventLoop.execute {
            let batch = self.handover.withLock { handover in
                defer { handover.removeAll(keepingCapacity: true) }
                return handover
            }
            for submission in batch {
                handler.value.submit(id: submission.id, command: submission.command, promise: submission.sink, deadline: submission.deadline)
            }
        }
    }

    /// Sends several commands in one write and returns each one's result, in order.
    ///
    /// The commands are not a transaction: each runs on its own, and a failure of one does not stop the others.
    func pipeline(_ commands: [RESPCommand], deadline: NIODeadline) async -> [Result<RESPValue, RedisError>] {
        guard !Task.isCancelled else {
            return commands.map { _ in .failure(.notSent(.cancelled, "cancelled before it was sent")) }
        }
        let firstID = self.nextCommandID.wrappingAdd(UInt64(commands.count), ordering: .relaxed).oldValue
        let eventLoop = self.channel.eventLoop
        let promises = commands.map { _ in eventLoop.makePromise(of: RESPValue.self) }
        let handler = self.handler
        self.outstanding.add(commands.count, ordering: .relaxed)
        defer { self.outstanding.subtract(commands.count, ordering: .relaxed) }
        return await withTaskCancellationHandler {
            self.submit(
                commands.enumerated().map { offset, command in
                    Submission(id: firstID &+ UInt64(offset), command: command, sink: .promise(promises[offset]), deadline: deadline)
                }
            )
            var results: [Result<RESPValue, RedisError>] = []
            results.reserveCapacity(commands.count)
            for promise in promises {
                do {
                    results.append(.success(try await promise.futureResult.get()))
                } catch let error as RedisError {
                    results.append(.failure(error))
                } catch {
                    results.append(.failure(.outcomeUnknown(.connectionClosed, "\(error)")))
                }
            }
            return results
        } onCancel: {
            handler.eventLoop.execute {
                for offset in 0..<commands.count { handler.value.cancel(id: firstID &+ UInt64(offset)) }
            }
        }
    }

    /// Stops taking commands and closes once those already accepted are answered.
    func drainAndClose() {
        let handler = self.handler
        handler.eventLoop.execute { handler.value.drainAndClose() }
    }

    /// Closes at once; callers still waiting get `outcomeUnknown(.connectionClosed)`.
    func close() {
        self.channel.close(promise: nil)
    }
}
