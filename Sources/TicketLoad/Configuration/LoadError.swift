/// Why a run could not be made at all, as opposed to a run that found the service at fault (see ``LoadReport``).
public struct LoadError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        case invalidArgument
        case fileLimit
        case unreachable
        case unexpectedAnswer
        case ticketd
    }

    private let code: Code
    /// What went wrong, in words meant for the person running the tester.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// An option or URL that makes no sense.
    public static func invalidArgument(_ message: String) -> Self { Self(.invalidArgument, message) }
    /// The system will not give the process enough file descriptors for the connections asked for.
    public static func fileLimit(_ message: String) -> Self { Self(.fileLimit, message) }
    /// The service does not answer at all.
    public static func unreachable(_ message: String) -> Self { Self(.unreachable, message) }
    /// The service answered something the tester cannot work with (an unknown event, a non-JSON body).
    public static func unexpectedAnswer(_ message: String) -> Self { Self(.unexpectedAnswer, message) }
    /// The `ticketd` binary used for seeding or the Redis audit could not be run.
    public static func ticketd(_ message: String) -> Self { Self(.ticketd, message) }

    /// Whether it is a mistake in the options or URL, which the command reports as a usage error (exit status 64,
    /// as the argument parser reports its own).
    public var isInvalidArgument: Bool { self.code == .invalidArgument }

    public var description: String { self.message }
}
