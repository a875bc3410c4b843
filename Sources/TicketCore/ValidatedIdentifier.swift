/// An identifier that exists only in its validated form: its failable initializer is the one check, and it
/// encodes and decodes as a plain JSON string that must pass the same check.
public protocol ValidatedIdentifier: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The identifier as text.
    var rawValue: String { get }
    /// Creates an identifier, or `nil` when `rawValue` is not a valid one.
    init?(_ rawValue: String)
}

extension ValidatedIdentifier {
    public var description: String { self.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid \(Self.self): \(text)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}
