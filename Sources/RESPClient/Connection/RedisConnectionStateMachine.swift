import DequeModule
import NIOCore

/// The bookkeeping of one multiplexed connection, without any I/O.
///
/// Commands are either *waiting* (accepted, not yet written: the in-flight cap is reached or the channel is not
/// writable) or *in flight* (written, waiting for their reply). Redis answers in order, so each reply belongs
/// to the oldest in-flight command. A caller that gives up (cancelled, or its own deadline passed) is answered
/// at once, but its entry stays in the in-flight queue, marked abandoned, so that its late reply is matched
/// and dropped instead of being handed to the next caller.
///
/// The machine returns what to do; ``RedisChannelHandler`` does it. `Promise` is the caller's completion
/// handle (an `EventLoopPromise` in production, a plain value in tests).
struct RedisConnectionStateMachine<Promise> {
    private struct InFlight {
        let id: UInt64
        /// `nil` once the caller was answered without a reply (cancelled or timed out).
        var promise: Promise?
        let deadline: NIODeadline
    }

    private struct Waiting {
        let id: UInt64
        let command: RESPCommand
        let promise: Promise
        let deadline: NIODeadline
    }

    private enum State {
        case active
        /// Graceful close: no new commands; the channel closes once nothing is in flight or waiting.
        case draining
        /// Closed, for the reason given to the callers that were waiting then.
        case closed(RedisError)
    }

    private var state: State = .active
    private var inFlight: Deque<InFlight> = []
    private var waiting: Deque<Waiting> = []
    private var writable = true
    private let maxInFlight: Int

    /// Creates a machine that keeps at most `maxInFlight` commands written and unanswered.
    init(maxInFlight: Int) {
        precondition(maxInFlight > 0, "maxInFlight must be positive")
        self.maxInFlight = maxInFlight
    }

    /// The number of written commands whose reply has not arrived, abandoned ones included.
    var inFlightCount: Int { self.inFlight.count }

    /// The number of accepted commands not yet written.
    var waitingCount: Int { self.waiting.count }

    /// Whether the connection has nothing in flight and nothing waiting.
    var isIdle: Bool { self.inFlight.isEmpty && self.waiting.isEmpty }

    /// Whether the connection still takes commands.
    var isAcceptingCommands: Bool {
        if case .active = self.state { return true }
        return false
    }

    // MARK: Submitting

    enum SubmitAction {
        /// Write the command now.
        case write(RESPCommand)
        /// The command waits for room; nothing to do now.
        case queued
        /// Answer the caller at once; the command was not sent.
        case fail(Promise, RedisError)
    }

    /// A caller submits a command.
    mutating func submit(id: UInt64, command: RESPCommand, promise: Promise, deadline: NIODeadline) -> SubmitAction {
        switch self.state {
        case .closed(let reason):
            return .fail(promise, .notSent(.connectionClosed, "the connection is closed: \(reason.message)"))
        case .draining:
            return .fail(promise, .notSent(.shuttingDown, "the connection is closing"))
        case .active:
            if self.writable, self.waiting.isEmpty, self.inFlight.count < self.maxInFlight {
                self.inFlight.append(InFlight(id: id, promise: promise, deadline: deadline))
                return .write(command)
            }
            self.waiting.append(Waiting(id: id, command: command, promise: promise, deadline: deadline))
            return .queued
        }
    }

    /// Moves waiting commands in flight while there is room and the channel is writable; returns those to write.
    mutating func commandsToWrite() -> [RESPCommand] {
        guard self.writable, !self.waiting.isEmpty, self.inFlight.count < self.maxInFlight else { return [] }
        switch self.state {
        case .closed: return []
        case .active, .draining: break
        }
        var commands: [RESPCommand] = []
        while self.inFlight.count < self.maxInFlight, let next = self.waiting.popFirst() {
            self.inFlight.append(InFlight(id: next.id, promise: next.promise, deadline: next.deadline))
            commands.append(next.command)
        }
        return commands
    }

    /// The channel's writability changed.
    mutating func writabilityChanged(isWritable: Bool) {
        self.writable = isWritable
    }

    // MARK: Replies

    enum ReplyAction {
        /// Complete the caller with the reply.
        case succeed(Promise, RESPValue)
        /// Fail the caller with an error reply from the server.
        case fail(Promise, RedisError)
        /// The reply belongs to a caller that already gave up; drop it.
        case discard
        /// A reply arrived with nothing in flight: the stream is out of step, close the connection.
        case closeConnection(RedisError)
    }

    /// A complete reply arrived.
    mutating func receive(_ reply: RESPValue) -> ReplyAction {
        if case .closed = self.state { return .discard }
        guard let head = self.inFlight.popFirst() else {
            // Redis does this when it refuses a new connection (`-ERR max number of clients reached`): keep its words.
            if case .error(let message) = reply {
                return .closeConnection(.outcomeUnknown(.protocolError, "Redis sent an error with no command in flight: \(message)"))
            }
            return .closeConnection(.outcomeUnknown(.protocolError, "Redis sent a reply with no command in flight"))
        }
        guard let promise = head.promise else { return .discard }
        if case .error(let message) = reply {
            return .fail(promise, .serverError(message))
        }
        return .succeed(promise, reply)
    }

    /// Whether a graceful close has finished its drain and the channel should close now.
    var shouldCloseAfterDrain: Bool {
        if case .draining = self.state { return self.isIdle }
        return false
    }

    // MARK: Giving up

    /// A caller was cancelled. Returns the promise to fail and how, or `nil` if the caller was already answered.
    mutating func cancel(id: UInt64) -> (Promise, RedisError)? {
        if let index = self.waiting.firstIndex(where: { $0.id == id }) {
            let entry = self.waiting.remove(at: index)
            return (entry.promise, .notSent(.cancelled, "cancelled before it was sent"))
        }
        if let index = self.inFlight.firstIndex(where: { $0.id == id }), let promise = self.inFlight[index].promise {
            self.inFlight[index].promise = nil
            return (promise, .outcomeUnknown(.cancelled, "cancelled after it was sent; Redis may have run it"))
        }
        return nil
    }

    struct TimeoutResult {
        /// Callers to fail now.
        var failed: [(Promise, RedisError)] = []
        /// The oldest in-flight command is overdue: the server is not answering, close the connection.
        var closeConnection = false
    }

    /// The timer fired at `now`: answers every overdue caller.
    ///
    /// An overdue waiting command was never sent (`notSent`). An overdue in-flight command may have run
    /// (`outcomeUnknown`). If the oldest one is overdue and `repliesFlowing` is `false` (nothing was read for a
    /// while), Redis is not answering at all, so the whole connection is declared dead; while replies still
    /// arrive, the connection is merely slow and only the overdue callers are answered.
    mutating func timeout(now: NIODeadline, repliesFlowing: Bool) -> TimeoutResult {
        var result = TimeoutResult()
        if let head = self.inFlight.first, head.deadline <= now, !repliesFlowing {
            result.closeConnection = true
            return result
        }
        for index in self.inFlight.indices where self.inFlight[index].deadline <= now {
            if let promise = self.inFlight[index].promise {
                self.inFlight[index].promise = nil
                result.failed.append((promise, .outcomeUnknown(.timeout, "no reply before the deadline; Redis may have run it")))
            }
        }
        while let index = self.waiting.firstIndex(where: { $0.deadline <= now }) {
            let entry = self.waiting.remove(at: index)
            result.failed.append((entry.promise, .notSent(.overloaded, "no room on the connection before the deadline")))
        }
        return result
    }

    /// The earliest deadline of a caller still waiting for an answer, if any.
    var nextDeadline: NIODeadline? {
        var earliest: NIODeadline?
        for entry in self.inFlight where entry.promise != nil {
            if earliest == nil || entry.deadline < earliest! { earliest = entry.deadline }
        }
        for entry in self.waiting where earliest == nil || entry.deadline < earliest! {
            earliest = entry.deadline
        }
        return earliest
    }

    // MARK: Closing

    /// Starts a graceful close: new commands are refused, accepted ones complete. Returns `true` if the
    /// channel can close at once.
    mutating func startDraining() -> Bool {
        guard case .active = self.state else { return false }
        self.state = .draining
        return self.isIdle
    }

    /// The channel closed (or is being closed because of `error`): every caller still waiting is answered.
    ///
    /// In-flight callers get `outcomeUnknown` carrying `error`'s reason; waiting callers were never sent, so they
    /// get `notSent`, which the client may safely retry on another connection.
    mutating func close(error: RedisError) -> [(Promise, RedisError)] {
        if case .closed = self.state { return [] }
        self.state = .closed(error)
        var failed: [(Promise, RedisError)] = []
        for entry in self.inFlight {
            if let promise = entry.promise { failed.append((promise, error)) }
        }
        for entry in self.waiting {
            failed.append((entry.promise, .notSent(.connectionClosed, "the connection closed before the command was sent")))
        }
        self.inFlight.removeAll()
        self.waiting.removeAll()
        return failed
    }
}
