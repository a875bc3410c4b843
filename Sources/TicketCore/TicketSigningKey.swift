import Crypto

/// The secret that signs ticket tokens (`TICKET_SIGNING_KEY`): whoever holds it can issue tickets, so it is never
/// logged or printed.
public struct TicketSigningKey: Sendable, CustomStringConvertible {
    /// The secret's bytes. Kept as bytes (`SymmetricKey` is not `Sendable`) and wrapped for each use.
    private let bytes: [UInt8]

    /// The key for HMAC.
    var key: SymmetricKey { SymmetricKey(data: self.bytes) }

    /// The fewest bytes a configured key may have.
    public static let minimumLength = 16

    /// Creates a key from the UTF-8 bytes of `secret`, or `nil` when it has fewer than ``minimumLength`` bytes.
    public init?(_ secret: String) {
        guard secret.utf8.count >= Self.minimumLength else { return nil }
        self.bytes = Array(secret.utf8)
    }

    /// A fresh random key: tokens it signs verify only in this process.
    public static func random() -> TicketSigningKey {
        var generator = SystemRandomNumberGenerator()
        return TicketSigningKey(bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    public var description: String { "TicketSigningKey(redacted)" }
}
