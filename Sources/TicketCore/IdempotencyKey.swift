/// A client-chosen key that makes a purchase safe to repeat: 1 to 255 printable ASCII characters.
public struct IdempotencyKey: ValidatedIdentifier {
    /// The key as text.
    public let rawValue: String

    /// The longest key accepted.
    public static let maxLength = 255

    /// Creates a key, or `nil` when `rawValue` is empty, too long, or has a byte outside printable ASCII.
    public init?(_ rawValue: String) {
        guard Identifier.isValid(rawValue, maxLength: Self.maxLength, allowed: { (0x21...0x7E).contains($0) }) else { return nil }
        self.rawValue = rawValue
    }
}
