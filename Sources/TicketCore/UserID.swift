/// The id of a buyer, as the caller names it: 1 to 128 ASCII letters, digits or `_ - . @ + :`.
public struct UserID: ValidatedIdentifier {
    /// The id as text.
    public let rawValue: String

    /// The longest id accepted.
    public static let maxLength = 128

    /// Creates an id, or `nil` when `rawValue` is empty, too long, or has a character outside the alphabet.
    public init?(_ rawValue: String) {
        let allowed: (UInt8) -> Bool = { byte in
            Identifier.isPlain(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: ":")
        }
        guard Identifier.isValid(rawValue, maxLength: Self.maxLength, allowed: allowed) else { return nil }
        self.rawValue = rawValue
    }
}
