/// Every failure the client reports, in one of three kinds that tell the caller whether the command ran.
///
/// - ``Kind-swift.struct/notSent``: the command certainly did not reach Redis; retrying it is always safe.
/// - ``Kind-swift.struct/outcomeUnknown``: the command was written but no reply arrived (timeout, connection
///   lost, cancelled); Redis may or may not have run it.
/// - ``Kind-swift.struct/serverError``: Redis answered with an error reply; ``message`` holds it.
///
/// Kinds and reasons are structs with static members so new ones can be added without breaking callers.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Whether the command ran: not sent, unknown, or answered with an error.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String { case notSent, outcomeUnknown, serverError }
        private let base: Base
        /// The command certainly did not reach Redis.
        public static let notSent = Kind(base: .notSent)
        /// The command was written and may or may not have run.
        public static let outcomeUnknown = Kind(base: .outcomeUnknown)
        /// Redis answered with an error reply.
        public static let serverError = Kind(base: .serverError)
        public var description: String { self.base.rawValue }
    }

    /// Why the command failed.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case clientNotRunning, shuttingDown, circuitOpen, overloaded, cancelled, timeout
            case connectionClosed, connectionFailed, protocolError, serverReply, invalidArgument, crossSlot
        }
        private let base: Base
        /// The client's `run()` is not running (yet, or any more).
        public static let clientNotRunning = Reason(base: .clientNotRunning)
        /// The client is shutting down and takes no new commands.
        public static let shuttingDown = Reason(base: .shuttingDown)
        /// No connection to Redis is up; the client fails fast until one is.
        public static let circuitOpen = Reason(base: .circuitOpen)
        /// Too many commands in flight; the bounded wait for a slot ran out.
        public static let overloaded = Reason(base: .overloaded)
        /// The caller's task was cancelled.
        public static let cancelled = Reason(base: .cancelled)
        /// No reply arrived before the command's deadline.
        public static let timeout = Reason(base: .timeout)
        /// The connection closed before the reply arrived.
        public static let connectionClosed = Reason(base: .connectionClosed)
        /// A connection could not be opened or its handshake (AUTH, SELECT, CLIENT SETNAME) failed.
        public static let connectionFailed = Reason(base: .connectionFailed)
        /// Redis sent bytes that are not valid RESP; the connection was closed.
        public static let protocolError = Reason(base: .protocolError)
        /// Redis answered with an error reply.
        public static let serverReply = Reason(base: .serverReply)
        /// The command was refused before sending because an argument is invalid.
        public static let invalidArgument = Reason(base: .invalidArgument)
        /// In cluster mode, the command's keys hash to different slots; it was refused before sending, as Redis
        /// would refuse it with `CROSSSLOT`.
        public static let crossSlot = Reason(base: .crossSlot)
        public var description: String { self.base.rawValue }
    }

    /// Whether the command ran.
    public let kind: Kind
    /// Why it failed.
    public let reason: Reason
    /// A human-readable message; for ``Kind-swift.struct/serverError`` the server's error text (`NOSCRIPT No matching script…`).
    public let message: String

    /// Creates an error.
    public init(kind: Kind, reason: Reason, message: String) {
        self.kind = kind
        self.reason = reason
        self.message = message
    }

    /// A failure before the command was sent.
    public static func notSent(_ reason: Reason, _ message: String) -> RedisError {
        RedisError(kind: .notSent, reason: reason, message: message)
    }

    /// A failure after the command was written, with no reply.
    public static func outcomeUnknown(_ reason: Reason, _ message: String) -> RedisError {
        RedisError(kind: .outcomeUnknown, reason: reason, message: message)
    }

    /// An error reply from Redis.
    public static func serverError(_ message: String) -> RedisError {
        RedisError(kind: .serverError, reason: .serverReply, message: message)
    }

    /// The first word of a server error (`NOSCRIPT`, `WRONGPASS`, `MOVED`), or `nil` for other kinds.
    public var serverErrorCode: Substring? {
        guard self.kind == .serverError else { return nil }
        return self.message.split(separator: " ", maxSplits: 1).first
    }

    public var description: String { "RedisError(\(self.kind), \(self.reason)): \(self.message)" }
}
