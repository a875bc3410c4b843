/// Numbers as operators and admins write them: in decimal, as JSON writes numbers.
public enum DecimalNumber {
    /// The value of `text` when it is a decimal number as JSON writes one: digits, with a minus sign before them, a
    /// fraction after a point and an exponent after them if need be (`24`, `0.5`, `-1`, `2.5e-3`; OpenAPI clients
    /// send a number parameter so). `Double` alone also reads hexadecimal (`0x18` is 24), a plus sign (a space in a
    /// form-encoded query), `.5`, `5.`, `nan` and `inf`, which nobody means by a number of hours or a percentage.
    public static func value(of text: String) -> Double? {
        var rest = Substring(text)
        if rest.first == "-" { rest = rest.dropFirst() }
        let exponent = rest.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = rest[..<(exponent ?? rest.endIndex)]
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.allSatisfy(Self.isDigits) else { return nil }
        if let exponent {
            var power = rest[rest.index(after: exponent)...]
            if power.first == "+" || power.first == "-" { power = power.dropFirst() }
            guard Self.isDigits(power) else { return nil }
        }
        return Double(text)
    }

    /// Whether `text` is one or more ASCII digits.
    private static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
