import NIOCore

/// Decodes RESP2 and RESP3 replies into ``RESPValue``s, one complete value per call.
///
/// It understands every RESP2 type (`+ - : $ *`) and every RESP3 type (`_ , # ( ! = % ~ > |`):
/// - `$-1`, `*-1` and `_` all decode to ``RESPValue/null``.
/// - `-` simple errors and `!` blob errors both decode to ``RESPValue/error(_:)``.
/// - Attributes (`|`) are read, checked and dropped; the value that follows them is returned in their place.
/// - Bulk strings are slices of the received buffer (no copy) and may hold any bytes.
/// - Text that is not valid UTF-8 in simple strings, errors, blob errors and verbatim strings is decoded lossily:
///   each invalid sequence becomes U+FFFD. Bulk strings keep their bytes untouched.
///
/// Parsing works on the readable bytes by index and moves the reader index only once a whole value is present, so a
/// value split across any number of reads decodes to the same result as one that arrived whole; while a value is
/// incomplete ``decode(buffer:)`` returns `nil` and leaves the buffer as it was. A value that starts to arrive is
/// parsed again from its first byte when more bytes come, which is cheap for small replies; once an incomplete value
/// holds ``scanThreshold`` bytes, a ``RESPFrameScan`` follows its arrival instead, and it is parsed once, whole.
///
/// Malformed input, and input that breaks one of the ``RESPDecoderLimits``, throws a ``RESPProtocolError``; the
/// stream cannot be resynchronised after that, so the connection must be closed.
///
/// ```swift
/// var decoder = RESPDecoder()
/// var buffer = ByteBuffer(string: "*2\r\n$3\r\nfoo\r\n:42\r\n")
/// let value = try decoder.decode(buffer: &buffer)  // .array([.bulkString("foo"), .integer(42)])
/// ```
public struct RESPDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    /// The decoder produces one ``RESPValue`` per complete reply.
    public typealias InboundOut = RESPValue

    /// The limits this decoder enforces.
    public let limits: RESPDecoderLimits

    /// Creates a decoder.
    /// - Parameter limits: Size and nesting limits; the defaults suit replies from a trusted Redis.
    public init(limits: RESPDecoderLimits = .init()) {
        self.limits = limits
    }

    /// The bytes of an incomplete value from which its arrival is followed by a scan rather than parsed again.
    static let scanThreshold = 64 * 1024

    /// Where the scan of the incomplete value at the front of the buffer stopped, while there is one.
    private var scan: RESPFrameScan?

    /// Decodes the next complete value at the front of `buffer` and consumes exactly its bytes.
    /// - Parameter buffer: The received bytes; its reader index moves past the value when one is returned.
    /// - Returns: The value, or `nil` (with `buffer` untouched) when the buffer holds only part of one.
    /// - Throws: ``RESPProtocolError`` when the bytes are not valid RESP or break a limit.
    public mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        guard buffer.readableBytes > 0 else { return nil }
        if var scan = self.scan {
            let complete = buffer.withUnsafeReadableBytes { scan.advance(over: $0) }
            self.scan = complete ? nil : scan
            guard complete else { return nil }
        }
        let source = buffer
        let limits = self.limits
        let parsed = try source.withUnsafeReadableBytes { bytes -> (value: RESPValue, length: Int)? in
            var parser = RESPParser(bytes: bytes, source: source, limits: limits)
            guard let value = try parser.value(depth: 0) else { return nil }
            return (value, parser.position)
        }
        guard let parsed else {
            if buffer.readableBytes >= Self.scanThreshold {
                var scan = RESPFrameScan(limits: limits)
                self.scan = buffer.withUnsafeReadableBytes { scan.advance(over: $0) } ? nil : scan
            }
            return nil
        }
        buffer.moveReaderIndex(forwardBy: parsed.length)
        return parsed.value
    }

    /// Decodes a value after the channel became inactive; bytes of an incomplete value are left in `buffer`.
    /// - Parameters:
    ///   - buffer: The received bytes.
    ///   - seenEOF: Whether the peer closed its side.
    /// - Returns: The next complete value, or `nil` when none is left.
    /// - Throws: ``RESPProtocolError`` when the bytes are not valid RESP or break a limit.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try self.decode(buffer: &buffer)
    }
}

/// A recursive-descent parse of one value over the readable bytes of a buffer.
///
/// Every function returns `nil` when it needs a byte past the end of `bytes`, and throws only on bytes it has seen,
/// so a prefix of a stream either needs more bytes or fails with exactly the error the whole stream fails with.
private struct RESPParser {
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    /// The longest length or count header: 19 digits of `Int64.max` and a sign, with room to spare.
    private static let maxHeaderLength = 20

    let bytes: UnsafeRawBufferPointer
    /// The buffer `bytes` belongs to, for slicing bulk strings out of it without a copy.
    let source: ByteBuffer
    let limits: RESPDecoderLimits
    /// The offset of the next unread byte, from the source's reader index.
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer, source: ByteBuffer, limits: RESPDecoderLimits) {
        self.bytes = bytes
        self.source = source
        self.limits = limits
    }

    /// Parses one value nested inside `depth` aggregates, skipping any attributes in front of it.
    mutating func value(depth: Int) throws -> RESPValue? {
        while true {
            guard self.position < self.bytes.count else { return nil }
            let start = self.position
            let type = self.bytes[start]
            self.position += 1
            switch type {
            case UInt8(ascii: "+"):
                guard let line = try self.line() else { return nil }
                return .simpleString(self.string(line))
            case UInt8(ascii: "-"):
                guard let line = try self.line() else { return nil }
                return .error(self.string(line))
            case UInt8(ascii: ":"):
                guard let line = try self.line() else { return nil }
                guard let value = self.integer(line) else {
                    throw RESPProtocolError.invalid(.invalidInteger, "integer", self.snippet(line), at: line.lowerBound)
                }
                return .integer(value)
            case UInt8(ascii: "$"):
                guard let length = try self.length(allowingNull: true) else { return nil }
                if length < 0 { return .null }
                guard let payload = try self.payload(length) else { return nil }
                return .bulkString(self.source.getSlice(at: self.source.readerIndex + payload.lowerBound, length: payload.count)!)
            case UInt8(ascii: "*"):
                guard let count = try self.count(allowingNull: true, depth: depth) else { return nil }
                if count < 0 { return .null }
                guard let elements = try self.elements(count, depth: depth + 1) else { return nil }
                return .array(elements)
            case UInt8(ascii: "_"):
                guard try self.crlf() else { return nil }
                return .null
            case UInt8(ascii: ","):
                guard let line = try self.line() else { return nil }
                guard let value = self.double(line) else {
                    throw RESPProtocolError.invalid(.invalidDouble, "double", self.snippet(line), at: line.lowerBound)
                }
                return .double(value)
            case UInt8(ascii: "#"):
                guard let line = try self.line() else { return nil }
                guard line.count == 1, self.bytes[line.lowerBound] == UInt8(ascii: "t") || self.bytes[line.lowerBound] == UInt8(ascii: "f")
                else {
                    throw RESPProtocolError.invalid(.invalidBoolean, "boolean", self.snippet(line), at: line.lowerBound)
                }
                return .boolean(self.bytes[line.lowerBound] == UInt8(ascii: "t"))
            case UInt8(ascii: "("):
                guard let line = try self.line() else { return nil }
                guard self.isBigNumber(line) else {
                    throw RESPProtocolError.invalid(.invalidBigNumber, "big number", self.snippet(line), at: line.lowerBound)
                }
                return .bigNumber(self.string(line))
            case UInt8(ascii: "!"):
                guard let length = try self.length(allowingNull: false) else { return nil }
                guard let payload = try self.payload(length) else { return nil }
                return .error(self.string(payload))
            case UInt8(ascii: "="):
                guard let length = try self.length(allowingNull: false) else { return nil }
                guard let payload = try self.payload(length) else { return nil }
                guard payload.count >= 4, self.bytes[payload.lowerBound + 3] == UInt8(ascii: ":") else {
                    throw RESPProtocolError.invalid(.invalidVerbatimString, "verbatim string", self.snippet(payload), at: payload.lowerBound)
                }
                let format = self.string(payload.lowerBound..<payload.lowerBound + 3)
                return .verbatimString(format: format, text: self.string(payload.lowerBound + 4..<payload.upperBound))
            case UInt8(ascii: "%"):
                guard let count = try self.count(allowingNull: false, depth: depth) else { return nil }
                guard let entries = try self.entries(count, depth: depth + 1) else { return nil }
                return .map(entries)
            case UInt8(ascii: "~"):
                guard let count = try self.count(allowingNull: false, depth: depth) else { return nil }
                guard let elements = try self.elements(count, depth: depth + 1) else { return nil }
                return .set(elements)
            case UInt8(ascii: ">"):
                guard let count = try self.count(allowingNull: false, depth: depth) else { return nil }
                guard let elements = try self.elements(count, depth: depth + 1) else { return nil }
                return .push(elements)
            case UInt8(ascii: "|"):
                // An attribute annotates the value after it: read its entries, drop them, then parse that value.
                guard let count = try self.count(allowingNull: false, depth: depth) else { return nil }
                for _ in 0..<count {
                    guard try self.value(depth: depth + 1) != nil, try self.value(depth: depth + 1) != nil else { return nil }
                }
            default:
                throw RESPProtocolError.unknownType(type, at: start)
            }
        }
    }

    // MARK: Aggregates

    /// Parses `count` values, each nested inside `depth` aggregates.
    private mutating func elements(_ count: Int, depth: Int) throws -> [RESPValue]? {
        var elements: [RESPValue] = []
        // Every value takes at least three bytes (`_\r\n`): never reserve more than the bytes at hand can hold.
        elements.reserveCapacity(min(count, (self.bytes.count - self.position) / 3))
        for _ in 0..<count {
            guard let element = try self.value(depth: depth) else { return nil }
            elements.append(element)
        }
        return elements
    }

    /// Parses `count` key-value pairs, each value nested inside `depth` aggregates.
    private mutating func entries(_ count: Int, depth: Int) throws -> [RESPMapEntry]? {
        var entries: [RESPMapEntry] = []
        entries.reserveCapacity(min(count, (self.bytes.count - self.position) / 6))
        for _ in 0..<count {
            guard let key = try self.value(depth: depth), let value = try self.value(depth: depth) else { return nil }
            entries.append(RESPMapEntry(key: key, value: value))
        }
        return entries
    }

    /// Reads an aggregate's count header and checks it against the count and depth limits; `-1` means null.
    private mutating func count(allowingNull: Bool, depth: Int) throws -> Int? {
        guard let count = try self.length(allowingNull: allowingNull) else { return nil }
        if count < 0 { return count }
        guard count <= self.limits.maxAggregateCount else {
            throw RESPProtocolError.aggregateTooLarge(count, limit: self.limits.maxAggregateCount)
        }
        guard depth < self.limits.maxDepth else { throw RESPProtocolError.tooDeep(limit: self.limits.maxDepth) }
        return count
    }

    // MARK: Lines and payloads

    /// Reads a line up to its CRLF and returns the range before the CRLF.
    ///
    /// Throws when a CR is followed by anything but LF, or when the line is longer than the line limit (for a length
    /// header, ``maxHeaderLength``): its first `limit + 1` bytes hold no CR.
    private mutating func line(isHeader: Bool = false) throws -> Range<Int>? {
        let maxLength = isHeader ? Self.maxHeaderLength : self.limits.maxLineLength
        let start = self.position
        // A CR may stand at most `maxLength` bytes after the start.
        let scanned = self.bytes.count - start > maxLength ? start + maxLength + 1 : self.bytes.count
        var index = start
        while index < scanned {
            if self.bytes[index] == Self.cr {
                guard index + 1 < self.bytes.count else { return nil }
                guard self.bytes[index + 1] == Self.lf else { throw RESPProtocolError.missingCRLF(at: index) }
                self.position = index + 2
                return start..<index
            }
            index += 1
        }
        guard scanned == start + maxLength + 1 else { return nil }
        if isHeader { throw RESPProtocolError.badLength(self.snippet(start..<scanned), at: start) }
        throw RESPProtocolError.lineTooLong(limit: maxLength, at: start)
    }

    /// Reads the CRLF that ends a value with no payload (`_`).
    private mutating func crlf() throws -> Bool {
        if self.position < self.bytes.count, self.bytes[self.position] != Self.cr {
            throw RESPProtocolError.missingCRLF(at: self.position)
        }
        guard self.bytes.count - self.position >= 2 else { return false }
        guard self.bytes[self.position + 1] == Self.lf else { throw RESPProtocolError.missingCRLF(at: self.position) }
        self.position += 2
        return true
    }

    /// Reads a length or count header: a decimal number, or `-1` when `allowingNull`.
    private mutating func length(allowingNull: Bool) throws -> Int? {
        guard let line = try self.line(isHeader: true) else { return nil }
        if allowingNull, line.count == 2, self.bytes[line.lowerBound] == UInt8(ascii: "-"), self.bytes[line.lowerBound + 1] == UInt8(ascii: "1") {
            return -1
        }
        guard !line.isEmpty, let value = self.digits(line), let length = Int(exactly: value) else {
            throw RESPProtocolError.badLength(self.snippet(line), at: line.lowerBound)
        }
        return length
    }

    /// Reads a bulk payload of `length` bytes (checked against the bulk limit) and its CRLF; returns the payload's range.
    private mutating func payload(_ length: Int) throws -> Range<Int>? {
        guard length <= self.limits.maxBulkLength else {
            throw RESPProtocolError.bulkTooLong(length, limit: self.limits.maxBulkLength)
        }
        let available = self.bytes.count - self.position
        guard available >= 2, length <= available - 2 else { return nil }
        let start = self.position
        let end = start + length
        guard self.bytes[end] == Self.cr, self.bytes[end + 1] == Self.lf else {
            throw RESPProtocolError.missingCRLF(at: end)
        }
        self.position = end + 2
        return start..<end
    }

    // MARK: Scalars

    /// The decimal value of a range made only of digits, or `nil` if it holds anything else or overflows `Int64`.
    private func digits(_ range: Range<Int>) -> Int64? {
        var value: Int64 = 0
        for index in range {
            let digit = self.bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = shifted.addingReportingOverflow(Int64(digit))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }

    /// A signed decimal integer (`-9223372036854775808` through `9223372036854775807`, optional `+` or `-`).
    private func integer(_ range: Range<Int>) -> Int64? {
        guard !range.isEmpty else { return nil }
        let sign = self.bytes[range.lowerBound]
        let negative = sign == UInt8(ascii: "-")
        let digits = negative || sign == UInt8(ascii: "+") ? range.dropFirst() : range
        guard !digits.isEmpty else { return nil }
        // Accumulate towards the sign so that Int64.min, whose magnitude Int64 cannot hold, parses too.
        var value: Int64 = 0
        for index in digits {
            let digit = self.bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) =
                negative ? shifted.subtractingReportingOverflow(Int64(digit)) : shifted.addingReportingOverflow(Int64(digit))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }

    /// A RESP3 double: `inf`, `-inf`, `nan`, or a decimal number with optional sign, fraction and exponent.
    private func double(_ range: Range<Int>) -> Double? {
        let text = self.string(range)
        switch text {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "-nan": return .nan
        default: break
        }
        // Double(String) also takes hex floats and `infinity`; let through only what RESP allows.
        for index in range {
            switch self.bytes[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "e"),
                UInt8(ascii: "E"):
                continue
            default:
                return nil
            }
        }
        return Double(text)
    }

    /// Whether a range is a big number: an optional sign and at least one digit.
    private func isBigNumber(_ range: Range<Int>) -> Bool {
        guard !range.isEmpty else { return false }
        let sign = self.bytes[range.lowerBound]
        let digits = sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") ? range.dropFirst() : range
        return !digits.isEmpty && digits.allSatisfy { self.bytes[$0] &- UInt8(ascii: "0") < 10 }
    }

    /// The bytes of a range as text; invalid UTF-8 becomes U+FFFD.
    private func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[range]), as: UTF8.self)
    }

    /// At most 32 bytes of a range as text, for error messages.
    private func snippet(_ range: Range<Int>) -> String {
        range.count > 32 ? self.string(range.prefix(32)) + "…" : self.string(range)
    }
}
