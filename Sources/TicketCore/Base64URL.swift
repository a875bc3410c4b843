/// Base64url without padding (RFC 4648 §5), the alphabet of ticket tokens: safe in URLs, JSON and QR codes.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// The text for `bytes`.
    static func encode(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var bits = UInt32(0)
            for (offset, byte) in chunk.enumerated() { bits |= UInt32(byte) << UInt32(16 - 8 * offset) }
            for digit in 0...chunk.count { text.append(Self.alphabet[Int((bits >> UInt32(18 - 6 * digit)) & 63)]) }
            index += 3
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes `text` encodes, or `nil` when it has a character outside the alphabet, an impossible length, or
    /// non-zero padding bits (so that every byte string has exactly one encoding).
    static func decode(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 4 != 1 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count * 3 / 4)
        var index = 0
        while index < digits.count {
            let chunk = digits[index..<min(index + 4, digits.count)]
            var bits = UInt32(0)
            for (offset, digit) in chunk.enumerated() {
                let value = Self.values[Int(digit)]
                guard value != 0xFF else { return nil }
                bits |= UInt32(value) << UInt32(18 - 6 * offset)
            }
            let byteCount = chunk.count - 1
            for offset in 0..<byteCount { bytes.append(UInt8((bits >> UInt32(16 - 8 * offset)) & 0xFF)) }
            // The bits below the last whole byte must be zero.
            guard bits & ((1 << UInt32(24 - 8 * byteCount)) - 1) == 0 else { return nil }
            index += 4
        }
        return bytes
    }
}
