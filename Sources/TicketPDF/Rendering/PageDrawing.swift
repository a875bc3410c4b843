import CLibHaru

/// Draws a ticket's parts on one page, remembering the first libharu failure so that the caller checks once.
struct PageDrawing {
    let page: HPDF_Page
    let fonts: DocumentFonts
    /// `HPDF_OK`, or the first failing call's status.
    private(set) var status: HPDF_STATUS = HPDF_STATUS(HPDF_OK)

    init(page: HPDF_Page, fonts: DocumentFonts) {
        self.page = page
        self.fonts = fonts
    }

    private static let ink: (HPDF_REAL, HPDF_REAL, HPDF_REAL) = (0.09, 0.10, 0.13)
    private static let muted: (HPDF_REAL, HPDF_REAL, HPDF_REAL) = (0.42, 0.45, 0.52)
    private static let band: (HPDF_REAL, HPDF_REAL, HPDF_REAL) = (0.10, 0.16, 0.32)
    private static let onBand: (HPDF_REAL, HPDF_REAL, HPDF_REAL) = (1, 1, 1)
    private static let onBandMuted: (HPDF_REAL, HPDF_REAL, HPDF_REAL) = (0.72, 0.78, 0.92)

    // MARK: Text

    private static let kicker = "ADMISSION TICKET  ·  EVENT "
    private static let labels = (ticket: "TICKET", purchased: "PURCHASED", buyer: "BUYER", purchase: "PURCHASE")
    private static let instructions = "Show this code at the entrance. Valid for one admission."
    /// Marks a line shortened to fit.
    private static let ellipsis = "…"

    /// Every line a ticket prints in `face`, as the drawing below prints it before any shortening (which only takes
    /// characters away and adds ``ellipsis``).
    static func text(of content: TicketContent, in face: DocumentFonts.Face) -> [String] {
        switch face {
        case .bold:
            return [content.eventName]
        case .regular:
            let labels = [Self.labels.ticket, Self.labels.purchased, Self.labels.buyer, Self.labels.purchase, Self.instructions]
            let fields =
                [content.venue, content.startsAt].compactMap { $0 } + [content.ticketID, content.purchasedAt, content.buyer, content.purchaseID]
            return [Self.kicker + content.eventID] + labels + fields
        }
    }

    // MARK: Parts

    /// The band at the top: a kicker line, the event's name, its venue and start.
    mutating func drawHeader(_ content: TicketContent) {
        let top = Layout.height
        self.fill(Self.band)
        self.record(HPDF_Page_Rectangle(self.page, 0, top - Layout.headerHeight, Layout.width, Layout.headerHeight))
        self.record(HPDF_Page_Fill(self.page))

        self.text(Self.kicker + content.eventID, face: .regular, size: 7.5, x: Layout.margin, y: top - 24, color: Self.onBandMuted)
        self.text(content.eventName, face: .bold, size: 19, minimumSize: 10, x: Layout.margin, y: top - 50, color: Self.onBand)
        var y = top - 70
        for line in [content.venue, content.startsAt].compactMap({ $0 }) {
            self.text(line, face: .regular, size: 10.5, minimumSize: 7, x: Layout.margin, y: y, color: Self.onBand)
            y -= 16
        }
    }

    /// The ticket, the purchase time and the buyer, each under a small label.
    mutating func drawDetails(_ content: TicketContent) {
        let firstRow = Layout.height - Layout.headerHeight - 26
        let secondColumn = Layout.margin + 96
        self.field(Self.labels.ticket, content.ticketID, x: Layout.margin, y: firstRow, width: secondColumn - Layout.margin - 8)
        self.field(
            Self.labels.purchased,
            content.purchasedAt,
            x: secondColumn,
            y: firstRow,
            width: Layout.width - Layout.margin - secondColumn
        )
        self.field(Self.labels.buyer, content.buyer, x: Layout.margin, y: firstRow - 40, width: Layout.textWidth)
    }

    /// The QR code, centred, dark modules as filled squares (runs of a row merged into one rectangle), all one path.
    ///
    /// The path is drawn in module units, scaled into place by the transformation matrix, so that every coordinate
    /// is a small integer: a third of the bytes of page coordinates, before compression and after.
    mutating func drawQRCode(_ code: QRCode) {
        let module = Layout.qrSide / HPDF_REAL(code.size)
        let left = (Layout.width - Layout.qrSide) / 2
        let top = Layout.height - Layout.headerHeight - 98
        self.record(HPDF_Page_GSave(self.page))
        self.record(HPDF_Page_Concat(self.page, module, 0, 0, module, left, top - Layout.qrSide))
        self.fill(Self.ink)
        for row in 0..<code.size {
            var column = 0
            while column < code.size {
                guard code.isDark(row: row, column: column) else {
                    column += 1
                    continue
                }
                let start = column
                while column < code.size, code.isDark(row: row, column: column) { column += 1 }
                let y = HPDF_REAL(code.size - row - 1)
                self.record(HPDF_Page_Rectangle(self.page, HPDF_REAL(start), y, HPDF_REAL(column - start), 1))
            }
        }
        self.record(HPDF_Page_Fill(self.page))
        self.record(HPDF_Page_GRestore(self.page))
    }

    /// The purchase id under the QR code, a rule, and how to use the ticket.
    mutating func drawFooter(_ content: TicketContent) {
        let qrBottom = Layout.height - Layout.headerHeight - 98 - Layout.qrSide
        self.centredText(Self.labels.purchase, size: 6.5, y: qrBottom - 14, color: Self.muted)
        self.centredText(content.purchaseID, size: 9, y: qrBottom - 26, color: Self.ink)

        self.stroke(Self.muted)
        self.record(HPDF_Page_SetLineWidth(self.page, 0.5))
        self.record(HPDF_Page_MoveTo(self.page, Layout.margin, 40))
        self.record(HPDF_Page_LineTo(self.page, Layout.width - Layout.margin, 40))
        self.record(HPDF_Page_Stroke(self.page))
        self.centredText(Self.instructions, size: 7, y: 27, color: Self.muted)
    }

    // MARK: Primitives

    /// A small label with a value under it, in the regular face.
    private mutating func field(_ label: String, _ value: String, x: HPDF_REAL, y: HPDF_REAL, width: HPDF_REAL) {
        self.text(label, face: .regular, size: 6.5, x: x, y: y, color: Self.muted)
        self.text(value, face: .regular, size: 12.5, minimumSize: 7, x: x, y: y - 15, width: width, color: Self.ink)
    }

    /// One line centred on the page, in the regular face.
    private mutating func centredText(_ text: String, size: HPDF_REAL, y: HPDF_REAL, color: (HPDF_REAL, HPDF_REAL, HPDF_REAL)) {
        let (fitted, fittedSize) = self.fit(text, face: .regular, size: size, minimumSize: size * 0.7, width: Layout.textWidth)
        let x = (Layout.width - self.width(of: fitted, face: .regular, size: fittedSize)) / 2
        self.show(fitted, face: .regular, size: fittedSize, x: x, y: y, color: color)
    }

    /// One line of text, shrunk towards `minimumSize` and then shortened with "…" until it fits `width`.
    private mutating func text(
        _ text: String,
        face: DocumentFonts.Face,
        size: HPDF_REAL,
        minimumSize: HPDF_REAL? = nil,
        x: HPDF_REAL,
        y: HPDF_REAL,
        width: HPDF_REAL = Layout.textWidth,
        color: (HPDF_REAL, HPDF_REAL, HPDF_REAL)
    ) {
        let (fitted, fittedSize) = self.fit(text, face: face, size: size, minimumSize: minimumSize ?? size, width: width)
        self.show(fitted, face: face, size: fittedSize, x: x, y: y, color: color)
    }

    /// `text` from `x`, `y` on: its runs one after the other, each in its font.
    private mutating func show(
        _ text: String,
        face: DocumentFonts.Face,
        size: HPDF_REAL,
        x: HPDF_REAL,
        y: HPDF_REAL,
        color: (HPDF_REAL, HPDF_REAL, HPDF_REAL)
    ) {
        guard let runs = self.fonts.runs(text, face: face) else { return self.record(HPDF_STATUS(HPDF_INVALID_FONT)) }
        self.fill(color)
        self.record(HPDF_Page_BeginText(self.page))
        self.record(HPDF_Page_MoveTextPos(self.page, x, y))
        for run in runs {
            self.record(HPDF_Page_SetFontAndSize(self.page, run.font, size))
            self.record(
                run.bytes.withUnsafeBufferPointer { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { HPDF_Page_ShowText(self.page, $0.baseAddress) }
                }
            )
        }
        self.record(HPDF_Page_EndText(self.page))
    }

    private func fit(_ text: String, face: DocumentFonts.Face, size: HPDF_REAL, minimumSize: HPDF_REAL, width: HPDF_REAL) -> (String, HPDF_REAL) {
        let natural = self.width(of: text, face: face, size: size)
        guard natural > width else { return (text, size) }
        let shrunk = max(minimumSize, size * width / natural)
        if self.width(of: text, face: face, size: shrunk) <= width { return (text, shrunk) }
        var scalars = Array(text.unicodeScalars)
        while !scalars.isEmpty {
            scalars.removeLast()
            var shortened = String(String.UnicodeScalarView(scalars))
            shortened.append(Self.ellipsis)
            if self.width(of: shortened, face: face, size: shrunk) <= width { return (shortened, shrunk) }
        }
        return (Self.ellipsis, shrunk)
    }

    /// The width of `text` at `size`; 0 when it cannot be set (``show(_:face:size:x:y:color:)`` records that).
    private func width(of text: String, face: DocumentFonts.Face, size: HPDF_REAL) -> HPDF_REAL {
        var width: HPDF_UINT = 0
        for run in self.fonts.runs(text, face: face) ?? [] {
            width += HPDF_Font_TextWidth(run.font, run.bytes, HPDF_UINT(run.bytes.count - 1)).width
        }
        return HPDF_REAL(width) * size / 1000
    }

    private mutating func fill(_ color: (HPDF_REAL, HPDF_REAL, HPDF_REAL)) {
        self.record(HPDF_Page_SetRGBFill(self.page, color.0, color.1, color.2))
    }

    private mutating func stroke(_ color: (HPDF_REAL, HPDF_REAL, HPDF_REAL)) {
        self.record(HPDF_Page_SetRGBStroke(self.page, color.0, color.1, color.2))
    }

    private mutating func record(_ result: HPDF_STATUS) {
        if self.status == HPDF_STATUS(HPDF_OK), result != HPDF_STATUS(HPDF_OK) { self.status = result }
    }
}
