/// Why a ticket could not be rendered.
public struct TicketRenderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; a struct with static members so that new kinds do not break callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case unsupportedCharacter = "unsupported_character"
            case font
            case qrEncoding = "qr_encoding"
            case pdf
        }
        private let base: Base
        /// A field has a character the font has no glyph for (or a control character): it would be drawn as a box.
        public static let unsupportedCharacter = Code(base: .unsupportedCharacter)
        /// The font file could not be loaded.
        public static let font = Code(base: .font)
        /// The QR code could not be encoded (the payload is too long).
        public static let qrEncoding = Code(base: .qrEncoding)
        /// libharu failed while building or saving the document.
        public static let pdf = Code(base: .pdf)
        public var description: String { self.base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// Details, for logs.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
