/// Why a ticket could not be served, or the archive not be read.
public struct TicketPDFError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; a struct with static members so that new kinds do not break callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case storeUnavailable = "store_unavailable"
            case renderFailed = "render_failed"
            case storage
            case shuttingDown = "shutting_down"
        }
        private let base: Base
        /// The ledger could not be read: try again later.
        public static let storeUnavailable = Code(base: .storeUnavailable)
        /// The ticket cannot be rendered (a character the font lacks, a libharu failure).
        public static let renderFailed = Code(base: .renderFailed)
        /// The archive's files could not be read or written.
        public static let storage = Code(base: .storage)
        /// The service is not running (starting or stopping).
        public static let shuttingDown = Code(base: .shuttingDown)
        public var description: String { self.base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// Details, for logs.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
