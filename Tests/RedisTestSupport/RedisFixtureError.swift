/// An error from ``RedisServerFixture`` or ``FreePort``.
///
/// Extensible: ``Code`` is a struct with static members, so new codes do not break `switch`es.
/// The ``message`` is written for a person reading a failed test and carries details such as the
/// tail of the server log.
public struct RedisFixtureError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, coarsely.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case executableNotFound
            case noFreePort
            case launchFailed
            case startTimeout
            case exitedDuringStartup
            case portInUse
            case commandFailed
            case fixtureStopped
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// `redis-server` or `redis-cli` is not installed (run `make deps`).
        public static var executableNotFound: Self { .init(.executableNotFound) }
        /// No free TCP port could be found or claimed.
        public static var noFreePort: Self { .init(.noFreePort) }
        /// The process could not be spawned.
        public static var launchFailed: Self { .init(.launchFailed) }
        /// The server did not answer `PING` before the start deadline; it has been killed.
        public static var startTimeout: Self { .init(.startTimeout) }
        /// The server exited before it answered (bad arguments, for example).
        public static var exitedDuringStartup: Self { .init(.exitedDuringStartup) }
        /// The requested port is taken, by this process or another one.
        public static var portInUse: Self { .init(.portInUse) }
        /// `redis-cli` exited with a non-zero status.
        public static var commandFailed: Self { .init(.commandFailed) }
        /// The fixture was stopped with ``RedisServerFixture/stop()`` and cannot be restarted.
        public static var fixtureStopped: Self { .init(.fixtureStopped) }

        public var description: String { self.base.rawValue }
    }

    /// What went wrong, coarsely.
    public var code: Code
    /// A human-readable explanation, including server output when there is any.
    public var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: The explanation.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "RedisFixtureError.\(self.code): \(self.message)" }
}
