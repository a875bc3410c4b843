/// Numbers as operators and admins write them: in decimal.
public enum DecimalNumber {
    /// The value of `text` when it is a decimal number: digits, a point, an exponent, signs. `Double` alone also
    /// reads hexadecimal (`0x18` is 24), `nan` and `inf`, which nobody means by a number of hours or a percentage.
    public static func value(of text: String) -> Double? {
        let decimal = text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || ".eE+-".utf8.contains($0) }
        return decimal ? Double(text) : nil
    }
}
