/// Numbers as operators and admins write them: in plain decimal.
public enum DecimalNumber {
    /// The value of `text` when it is a plain decimal number: digits, with a fraction after a point and a minus sign
    /// before them if need be (`24`, `0.5`, `-1`). `Double` alone also reads hexadecimal (`0x18` is 24), exponents
    /// (`1e3`), a plus sign (a space in a form-encoded query), `.5`, `nan` and `inf`, which nobody means by a number of
    /// hours or a percentage.
    public static func value(of text: String) -> Double? {
        let unsigned = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        let parts = unsigned.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(digits.contains) }) else { return nil }
        return Double(text)
    }
}
