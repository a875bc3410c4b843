/// A resumable check that a RESP value has arrived whole, which builds nothing.
///
/// ``RESPDecoder`` parses a value again from its first byte at every read until the value is complete: for a reply of
/// millions of elements (the audit's read of an event's pool) that was quadratic, and an audit of a 2,000,000-ticket
/// event spent its 30 s deadline decoding. Once a value is found incomplete and large, the decoder runs this scan
/// instead: it walks the items' headers and lengths, and keeps where it stopped and how many items each open
/// aggregate still expects, so every byte is looked at about once. The value is parsed once the scan finds its end.
///
/// The scan judges only framing. Whatever it cannot read (an unknown type, a malformed or out-of-limit header) it
/// leaves to the parser, which reports it as ever: it says "complete" so that the parser runs.
struct RESPFrameScan {
    /// How far the items known to be whole reach, from the value's first byte.
    private var offset = 0
    /// The items still expected by each open aggregate, outermost first; the value itself is the first.
    private var expected: [Int] = [1]
    private let limits: RESPDecoderLimits

    init(limits: RESPDecoderLimits) {
        self.limits = limits
    }

    /// Scans on over `bytes` (the value's bytes so far, from its first); whether the value is complete, or holds
    /// something only the parser can judge.
    mutating func advance(over bytes: UnsafeRawBufferPointer) -> Bool {
        while let last = self.expected.indices.last {
            if self.expected[last] == 0 {
                self.expected.removeLast()
                continue
            }
            guard self.offset < bytes.count else { return false }
            let type = bytes[self.offset]
            guard let headerEnd = Self.lineEnd(in: bytes, from: self.offset + 1) else { return false }
            let next = headerEnd + 2
            switch type {
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: ","), UInt8(ascii: "#"),
                UInt8(ascii: "("):
                self.offset = next
                self.expected[last] -= 1
            case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
                guard let length = Self.integer(in: bytes, self.offset + 1..<headerEnd), length <= self.limits.maxBulkLength else { return true }
                let end = length < 0 ? next : next + length + 2
                guard end <= bytes.count else { return false }
                self.offset = end
                self.expected[last] -= 1
            case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
                guard let count = Self.integer(in: bytes, self.offset + 1..<headerEnd), count <= self.limits.maxAggregateCount,
                    self.expected.count < self.limits.maxDepth
                else { return true }
                self.offset = next
                // An attribute's entries come before the value it annotates, which its aggregate still expects.
                if type != UInt8(ascii: "|") { self.expected[last] -= 1 }
                let items = type == UInt8(ascii: "%") || type == UInt8(ascii: "|") ? 2 * count : count
                if items > 0 { self.expected.append(items) }
            default:
                return true
            }
        }
        return true
    }

    /// Where the `\r\n` that ends the line starting at `start` begins; `nil` while it has not arrived.
    private static func lineEnd(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\r"), bytes[index + 1] == UInt8(ascii: "\n") { return index }
            index += 1
        }
        return nil
    }

    /// The decimal integer (optionally negative) written in `range`; `nil` when it is not one.
    private static func integer(in bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 20 else { return nil }
        var negative = false
        var index = range.lowerBound
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
            guard index < range.upperBound else { return nil }
        }
        var value = 0
        while index < range.upperBound {
            let digit = Int(bytes[index]) - Int(UInt8(ascii: "0"))
            guard (0...9).contains(digit) else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            value = shifted + digit
            index += 1
        }
        return negative ? -value : value
    }
}
