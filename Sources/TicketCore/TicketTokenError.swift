/// Why a ticket token was refused.
public struct TicketTokenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of refusal; a struct with static members so that new kinds do not break callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case malformed
            case badSignature = "bad_signature"
        }
        private let base: Base
        /// Not a token: wrong shape, bad base64url, too long, or a payload that does not describe a ticket.
        public static let malformed = Code(base: .malformed)
        /// A well-formed token whose signature does not match its payload.
        public static let badSignature = Code(base: .badSignature)
        public var description: String { self.base.rawValue }
    }

    /// The kind of refusal.
    public let code: Code
    /// Details, for people.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
