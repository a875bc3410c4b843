/// Bytes from the server that are not valid RESP, or that break a ``RESPDecoderLimits`` limit.
///
/// The stream cannot be resynchronised after one of these, so the connection that reads it must be closed.
/// ``code`` says what kind of problem it was; ``message`` says exactly what was wrong, for logs.
///
/// Codes are a struct with static members so new ones can be added without breaking callers.
public struct RESPProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case unknownType, badLength, missingCRLF, tooDeep, bulkTooLong, aggregateTooLarge, lineTooLong
            case invalidInteger, invalidDouble, invalidBoolean, invalidBigNumber, invalidVerbatimString
        }
        private let base: Base
        /// A value starts with a byte that is not a RESP2 or RESP3 type.
        public static let unknownType = Code(base: .unknownType)
        /// A length or count is not a decimal number, or is negative where that is not allowed.
        public static let badLength = Code(base: .badLength)
        /// A CR is not followed by LF, or a bulk payload is not followed by CRLF.
        public static let missingCRLF = Code(base: .missingCRLF)
        /// Aggregates are nested deeper than ``RESPDecoderLimits/maxDepth``.
        public static let tooDeep = Code(base: .tooDeep)
        /// A bulk payload is longer than ``RESPDecoderLimits/maxBulkLength``.
        public static let bulkTooLong = Code(base: .bulkTooLong)
        /// An aggregate declares more elements than ``RESPDecoderLimits/maxAggregateCount``.
        public static let aggregateTooLarge = Code(base: .aggregateTooLarge)
        /// A line has no CRLF within ``RESPDecoderLimits/maxLineLength`` bytes.
        public static let lineTooLong = Code(base: .lineTooLong)
        /// An integer reply is not a decimal number or does not fit in 64 bits.
        public static let invalidInteger = Code(base: .invalidInteger)
        /// A double reply is not a number, `inf`, `-inf` or `nan`.
        public static let invalidDouble = Code(base: .invalidDouble)
        /// A boolean reply is neither `t` nor `f`.
        public static let invalidBoolean = Code(base: .invalidBoolean)
        /// A big number reply is not a decimal number.
        public static let invalidBigNumber = Code(base: .invalidBigNumber)
        /// A verbatim string lacks its three-letter format and colon.
        public static let invalidVerbatimString = Code(base: .invalidVerbatimString)

        public var description: String { self.base.rawValue }
    }

    /// The kind of problem.
    public let code: Code
    /// What was wrong, for logs (`unknown type byte 0x3f at offset 0`).
    public let message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of problem.
    ///   - message: What was wrong.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "RESPProtocolError(\(self.code)): \(self.message)" }
}

extension RESPProtocolError {
    static func unknownType(_ byte: UInt8, at offset: Int) -> RESPProtocolError {
        RESPProtocolError(code: .unknownType, message: "unknown type byte 0x\(Self.hex(byte)) at offset \(offset)")
    }

    static func badLength(_ text: String, at offset: Int) -> RESPProtocolError {
        RESPProtocolError(code: .badLength, message: "bad length \"\(text)\" at offset \(offset)")
    }

    static func missingCRLF(at offset: Int) -> RESPProtocolError {
        RESPProtocolError(code: .missingCRLF, message: "missing CRLF at offset \(offset)")
    }

    static func tooDeep(limit: Int) -> RESPProtocolError {
        RESPProtocolError(code: .tooDeep, message: "nesting deeper than \(limit)")
    }

    static func bulkTooLong(_ length: Int, limit: Int) -> RESPProtocolError {
        RESPProtocolError(code: .bulkTooLong, message: "bulk string of \(length) bytes exceeds limit \(limit)")
    }

    static func aggregateTooLarge(_ count: Int, limit: Int) -> RESPProtocolError {
        RESPProtocolError(code: .aggregateTooLarge, message: "aggregate of \(count) elements exceeds limit \(limit)")
    }

    static func lineTooLong(limit: Int, at offset: Int) -> RESPProtocolError {
        RESPProtocolError(code: .lineTooLong, message: "no CRLF within \(limit) bytes of the line at offset \(offset)")
    }

    static func invalid(_ code: Code, _ what: String, _ text: String, at offset: Int) -> RESPProtocolError {
        RESPProtocolError(code: code, message: "invalid \(what) \"\(text)\" at offset \(offset)")
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return byte < 0x10 ? "0" + digits : digits
    }
}
