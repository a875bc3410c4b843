extension UInt64 {
    /// Reads lowercase or uppercase hex digits, at most 16; `nil` when any other character is among them.
    init?(hexDigits: Substring) {
        guard !hexDigits.isEmpty, hexDigits.utf8.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in hexDigits.utf8 {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        self = value
    }

    /// The value as 16 lowercase hex digits, zero-padded.
    var hexDigits: String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            self.writeHexDigits(into: buffer, at: 0)
            return 16
        }
    }

    /// Writes the value's 16 lowercase hex digits, zero-padded, into `buffer` from `offset`.
    func writeHexDigits(into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        for index in 0..<16 {
            let digit = UInt8(truncatingIfNeeded: self >> UInt64(60 - 4 * index)) & 0xF
            buffer[offset + index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
        }
    }
}
