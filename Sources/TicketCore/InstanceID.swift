/// The id of one ticketd instance, naming its escrow in Redis (`event:{ID}:escrow:{instance}`): 1 to 64 ASCII
/// letters, digits, `_` or `-`, so that it is safe inside a key.
public struct InstanceID: ValidatedIdentifier {
    /// The id as text.
    public let rawValue: String

    /// The longest id accepted.
    public static let maxLength = 64

    /// Creates an id, or `nil` when `rawValue` is empty, too long, or has a character outside `[A-Za-z0-9_-]`.
    public init?(_ rawValue: String) {
        guard Identifier.isValid(rawValue, maxLength: Self.maxLength, allowed: Identifier.isPlain) else { return nil }
        self.rawValue = rawValue
    }
}
