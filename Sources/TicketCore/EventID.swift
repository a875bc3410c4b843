/// The id of an event: 1 to 64 ASCII letters, digits, `_` or `-`.
///
/// The alphabet keeps every id safe inside a Redis key and its hash tag (`event:{ID}:…`): no input can
/// smuggle a brace, a colon or a space into a key.
public struct EventID: ValidatedIdentifier, Comparable {
    /// The id as text.
    public let rawValue: String

    /// The longest id accepted.
    public static let maxLength = 64

    /// Creates an id, or `nil` when `rawValue` is empty, too long, or has a character outside `[A-Za-z0-9_-]`.
    public init?(_ rawValue: String) {
        guard Identifier.isValid(rawValue, maxLength: Self.maxLength, allowed: Identifier.isPlain) else { return nil }
        self.rawValue = rawValue
    }

    /// Orders numeric ids by number (`2` before `10`), then others by text.
    public static func < (lhs: EventID, rhs: EventID) -> Bool {
        switch (Int(lhs.rawValue), Int(rhs.rawValue)) {
        case (let left?, let right?): return left < right
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return lhs.rawValue < rhs.rawValue
        }
    }
}
