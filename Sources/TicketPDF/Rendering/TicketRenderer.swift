import CLibHaru

/// Renders one ticket as a one-page A6 PDF with libharu: the event's name, venue and start in a header band, then
/// the ticket, the buyer, the purchase time, a QR code with the signed token, and the purchase id.
///
/// Text is drawn with single-byte encodings, one per script: text that WinAnsi (Windows-1252) encodes, such as
/// "Zoë Ñúñez", in Base-14 Helvetica, which PDF readers bring along, so nothing is embedded; any other text, such as
/// "Ольга" or "Σοφία", in an embedded TrueType font (DejaVu Sans by default) cut down to the characters the ticket
/// prints, in runs of Cyrillic, Greek or another European code page (see ``TextEncodings``). A character the font
/// has no glyph for, or that none of those code pages has (CJK, emoji, Hebrew, Arabic), is refused with
/// ``TicketRenderError/Code-swift.struct/unsupportedCharacter`` before anything is drawn: a ticket is never printed
/// with boxes in place of a name.
///
/// `render(_:)` is synchronous and CPU-bound (about a millisecond for a Latin name): call it from a thread pool,
/// never from an event loop. Each call builds its own libharu document, so calls on different threads run in
/// parallel safely.
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
    private let encodings: TextEncodings

    /// Creates a renderer after reading both fonts.
    /// - Throws: ``TicketRenderError/Code-swift.struct/font`` when a font file is missing or not a TrueType font.
    public init(fonts: Fonts = .dejaVuSans) throws(TicketRenderError) {
        self.fonts = fonts
        self.regular = try TrueTypeFont(path: fonts.regular)
        self.bold = try TrueTypeFont(path: fonts.bold)
        self.encodings = try TextEncodings()
    }

    /// The PDF of one ticket.
    /// - Throws: ``TicketRenderError``: `unsupportedCharacter` when a field has a character the font lacks, `qrEncoding`
    ///   when the token is too long for a QR code, `pdf` or `font` when libharu fails.
    public func render(_ content: TicketContent) throws(TicketRenderError) -> [UInt8] {
        try self.checkCoverage(content.eventName, field: "event name", font: self.bold)
        for (field, text) in content.printedFields { try self.checkCoverage(text, field: field, font: self.regular) }
        let qrCode = try QRCode(encoding: content.token)

        let document = try HaruDocument()
        let pdf = document.handle
        try document.check(HPDF_SetCompressionMode(pdf, HPDF_UINT(HPDF_COMP_ALL)), "HPDF_SetCompressionMode")
        try document.check(HPDF_SetInfoAttr(pdf, HPDF_INFO_KEYWORDS, Self.keywords(token: content.token)), "HPDF_SetInfoAttr")
        let fonts = DocumentFonts(
            document: pdf,
            encodings: self.encodings,
            regular: try self.embed(self.regular, tag: "TKTREG", for: PageDrawing.text(of: content, in: .regular), into: document),
            bold: try self.embed(self.bold, tag: "TKTBLD", for: PageDrawing.text(of: content, in: .bold), into: document)
        )

        let page = try document.require(HPDF_AddPage(pdf), "HPDF_AddPage")
        try document.check(HPDF_Page_SetWidth(page, Layout.width), "HPDF_Page_SetWidth")
        try document.check(HPDF_Page_SetHeight(page, Layout.height), "HPDF_Page_SetHeight")
        var drawing = PageDrawing(page: page, fonts: fonts)
        drawing.drawHeader(content)
        drawing.drawDetails(content)
        drawing.drawQRCode(qrCode)
        drawing.drawFooter(content)
        try document.check(drawing.status, "drawing the page")
        return try document.bytes()
    }

    /// The document's keywords: the ticket's signed token, which names its event, ticket and purchase. The document
    /// information is not compressed, so ``holds(token:_:)`` finds them in the file as written.
    static func keywords(token: String) -> String { "ticketd-token " + token }

    /// Whether `pdf`, a ticket rendered here, is the ticket of the sale whose signed token is `token`. A stored
    /// ticket can show another sale of its purchase id: one from before a reset (a key-derived id comes back), or
    /// one signed with another key.
    public static func holds(token: String, _ pdf: [UInt8]) -> Bool {
        pdf.firstRange(of: Array(Self.keywords(token: token).utf8)) != nil
    }

    /// Embeds `font` as the subset tagged `tag`, cut down to the characters of those `lines` that WinAnsi cannot encode
    /// (and "…", for when they are shortened), and returns its name in `document`; `nil`, embedding nothing, when
    /// WinAnsi encodes every line.
    private func embed(
        _ font: TrueTypeFont,
        tag: String,
        for lines: [String],
        into document: borrowing HaruDocument
    ) throws(TicketRenderError) -> String? {
        let embedded = lines.filter { !self.encodings.isWinAnsi($0) }
        guard !embedded.isEmpty else { return nil }
        return try document.loadTrueTypeFont(font.subset(covering: embedded.lazy.flatMap(\.unicodeScalars) + ["…"]), tag: tag)
    }

    /// Throws when `text` has a character that cannot be drawn: a control character, or, in text that WinAnsi cannot
    /// encode (and so is set in `font`), a character `font` has no glyph for or none of the encodings has.
    private func checkCoverage(_ text: String, field: String, font: TrueTypeFont) throws(TicketRenderError) {
        let isWinAnsi = self.encodings.isWinAnsi(text)
        for scalar in text.unicodeScalars {
            let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            guard isControl || (!isWinAnsi && (font.glyph(for: scalar) == nil || !self.encodings.canEncode(scalar))) else { continue }
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
}
