import Crypto

/// The id of one purchase: 26 characters of lowercase Crockford base32 (130 bits, 128 of them random or hashed).
///
/// A purchase id is chosen *before* the sale is attempted, so that the purchase script can be idempotent by it:
/// a retry after an unknown outcome, or a repeated `Idempotency-Key`, sends the same id and gets the original
/// purchase back instead of a second ticket.
public struct PurchaseID: ValidatedIdentifier {
    /// The id as text.
    public let rawValue: String

    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    static let length = 26

    /// Creates an id from text, or `nil` unless it is 26 characters of the alphabet.
    public init?(_ rawValue: String) {
        guard rawValue.utf8.count == Self.length, rawValue.utf8.allSatisfy({ Self.alphabet.contains($0) }) else { return nil }
        self.rawValue = rawValue
    }

    private init(bytes: some Sequence<UInt8>) {
        // 16 bytes → 26 base32 digits, most significant first; the last digit carries 3 bits of padding.
        var bits: UInt32 = 0
        var bitCount = 0
        var text: [UInt8] = []
        text.reserveCapacity(Self.length)
        for byte in bytes.prefix(16) {
            bits = bits << 8 | UInt32(byte)
            bitCount += 8
            while bitCount >= 5 {
                bitCount -= 5
                text.append(Self.alphabet[Int((bits >> UInt32(bitCount)) & 31)])
            }
        }
        text.append(Self.alphabet[Int((bits << UInt32(5 - bitCount)) & 31)])
        self.rawValue = String(decoding: text, as: UTF8.self)
    }

    /// A fresh random id: 16 bytes of the kernel's cryptographic generator, read a block at a time
    /// (``RandomBytePool``) rather than one system call per id.
    public static func random() -> PurchaseID {
        RandomBytePool.shared.withBytes(16) { PurchaseID(bytes: $0) }
    }

    /// The id a repeated request must get: a hash of the event, the buyer and their idempotency key, keyed by
    /// `secret` when there is one (HMAC-SHA-256).
    ///
    /// The same key from another buyer, or for another event, gives another id, so keys never collide across
    /// buyers. Without a secret the id is a plain SHA-256 that anyone can compute from the event, the buyer and the
    /// key, and with it fetch the ticket (`GET /tickets/:purchaseId`): a guessable key (an order number) gives the
    /// ticket away. Every instance must use the same secret, or a retry on another instance gets another id.
    public static func derived(event: EventID, user: UserID?, key: IdempotencyKey, secret: TicketSigningKey? = nil) -> PurchaseID {
        // Each part followed by a zero byte, so that no two lists of parts run together into the same bytes.
        let message: [UInt8] = [event.rawValue, user?.rawValue ?? "", key.rawValue].flatMap { part -> [UInt8] in Array(part.utf8) + [0] }
        guard let secret else { return PurchaseID(bytes: SHA256.hash(data: message)) }
        let code: HashedAuthenticationCode<SHA256> = HMAC<SHA256>.authenticationCode(for: message, using: secret.key)
        return PurchaseID(bytes: code)
    }
}
