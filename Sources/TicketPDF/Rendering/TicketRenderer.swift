import CLibHaru

/// Renders one ticket as a one-page A6 PDF with libharu: the event's name, venue and start in a header band, then
/// the ticket, the buyer, the purchase time, a QR code with the signed token, and the purchase id.
///
/// Text is UTF-8 drawn with an embedded TrueType font (DejaVu Sans by default, which covers Latin, Cyrillic and
/// Greek), so names such as "Zoë Ñúñez", "Ольга" or "Σοφία" print as written. A character the font has no glyph
/// for is refused with ``TicketRenderError/Code-swift.struct/unsupportedCharacter`` before anything is drawn: a
/// ticket is never printed with boxes in place of a name.
///
/// `render(_:)` is synchronous and CPU-bound (about a millisecond): call it from a thread pool, never from an event
/// loop. Each call builds its own libharu document, so calls on different threads run in parallel safely.
///
/// ```swift
/// let renderer = try TicketRenderer(fonts: .dejaVuSans)
/// let pdf: [UInt8] = try renderer.render(content)
/// ```
public struct TicketRenderer: Sendable {
    /// The TrueType fonts a ticket is set in.
    public struct Fonts: Sendable, Hashable {
        /// The regular face, for everything but the title.
        public var regular: String
        /// The bold face, for the event's name.
        public var bold: String

        /// Creates a pair of font files.
        public init(regular: String, bold: String) {
            self.regular = regular
            self.bold = bold
        }

        /// DejaVu Sans from Debian's `fonts-dejavu-core`.
        public static let dejaVuSans = Fonts(
            regular: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            bold: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
        )
    }

    /// The fonts in use.
    public let fonts: Fonts
    private let regular: TrueTypeFont
    private let bold: TrueTypeFont

    /// Creates a renderer after reading both fonts.
    /// - Throws: ``TicketRenderError/Code-swift.struct/font`` when a font file is missing or not a TrueType font.
    public init(fonts: Fonts = .dejaVuSans) throws(TicketRenderError) {
        self.fonts = fonts
        self.regular = try TrueTypeFont(path: fonts.regular)
        self.bold = try TrueTypeFont(path: fonts.bold)
    }

    /// The PDF of one ticket.
    /// - Throws: ``TicketRenderError``: `unsupportedCharacter` when a field has a character the font lacks, `qrEncoding`
    ///   when the token is too long for a QR code, `pdf` or `font` when libharu fails.
    public func render(_ content: TicketContent) throws(TicketRenderError) -> [UInt8] {
        try Self.checkCoverage(content.eventName, field: "event name", font: self.bold)
        for (field, text) in content.printedFields { try Self.checkCoverage(text, field: field, font: self.regular) }
        let qrCode = try QRCode(encoding: content.token)

        let document = try HaruDocument()
        let pdf = document.handle
        try document.check(HPDF_SetCompressionMode(pdf, HPDF_UINT(HPDF_COMP_ALL)), "HPDF_SetCompressionMode")
        try document.check(HPDF_UseUTFEncodings(pdf), "HPDF_UseUTFEncodings")
        try document.check(HPDF_SetCurrentEncoder(pdf, "UTF-8"), "HPDF_SetCurrentEncoder")
        let regular = try Self.load(self.regular, covering: content.regularText, into: document)
        let bold = try Self.load(self.bold, covering: PageDrawing.boldText(content), into: document)

        let page = try document.require(HPDF_AddPage(pdf), "HPDF_AddPage")
        try document.check(HPDF_Page_SetWidth(page, Layout.width), "HPDF_Page_SetWidth")
        try document.check(HPDF_Page_SetHeight(page, Layout.height), "HPDF_Page_SetHeight")
        var drawing = PageDrawing(page: page)
        drawing.drawHeader(content, regular: regular, bold: bold)
        drawing.drawDetails(content, regular: regular)
        drawing.drawQRCode(qrCode)
        drawing.drawFooter(content, regular: regular)
        try document.check(drawing.status, "drawing the page")
        return try document.bytes()
    }

    /// Embeds `font`, cut down to the characters of `texts`, with the UTF-8 encoder.
    private static func load(
        _ font: TrueTypeFont,
        covering texts: [String],
        into document: borrowing HaruDocument
    ) throws(TicketRenderError) -> HPDF_Font {
        let name = try document.loadTrueTypeFont(font.subset(covering: texts.lazy.flatMap(\.unicodeScalars)))
        guard let handle = HPDF_GetFont(document.handle, name, "UTF-8") else {
            throw TicketRenderError(.font, "cannot use \(font.path) with UTF-8: \(document.error("HPDF_GetFont").message)")
        }
        return handle
    }

    /// Throws when `text` has a character `font` cannot draw: no glyph, a control character, or a character outside
    /// the Basic Multilingual Plane (libharu's UTF-8 encoder maps only those).
    private static func checkCoverage(_ text: String, field: String, font: TrueTypeFont) throws(TicketRenderError) {
        for scalar in text.unicodeScalars {
            let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            guard isControl || font.glyph(for: scalar) == nil else { continue }
            let hex = String(scalar.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            throw TicketRenderError(.unsupportedCharacter, "the \(field) has \(code), which the font \(font.path) cannot print")
        }
    }
}

/// The page's size and positions, in points (1/72 inch).
enum Layout {
    /// A6 portrait: 105 × 148 mm.
    static let width: HPDF_REAL = 297.64
    static let height: HPDF_REAL = 419.53
    static let margin: HPDF_REAL = 22
    static let headerHeight: HPDF_REAL = 104
    static let qrSide: HPDF_REAL = 132
    static var textWidth: HPDF_REAL { Self.width - 2 * Self.margin }
}

extension TicketContent {
    /// Every field set in the regular face, with the name used in errors.
    var printedFields: [(String, String)] {
        var fields = [("event id", self.eventID), ("ticket id", self.ticketID), ("purchase id", self.purchaseID), ("buyer", self.buyer)]
        fields.append(("purchase time", self.purchasedAt))
        if let venue = self.venue { fields.append(("venue", venue)) }
        if let startsAt = self.startsAt { fields.append(("start time", startsAt)) }
        return fields
    }

    /// Everything set in the regular face: the fields and the page's own words.
    var regularText: [String] { self.printedFields.map(\.1) + PageDrawing.fixedText }
}
