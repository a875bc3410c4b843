/// Checks identifiers that come from outside (URLs, headers, JSON) against a small allowed alphabet.
enum Identifier {
    /// ASCII letters, digits, `_` and `-`.
    static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Whether `text` has `1...maxLength` bytes, all accepted by `allowed`.
    static func isValid(_ text: String, maxLength: Int, allowed: (UInt8) -> Bool) -> Bool {
        let utf8 = text.utf8
        return !utf8.isEmpty && utf8.count <= maxLength && utf8.allSatisfy(allowed)
    }
}
