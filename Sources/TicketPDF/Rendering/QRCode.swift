import CLibQREncode

/// A QR code as a square of dark and light modules, made by libqrencode.
struct QRCode: Sendable {
    /// Modules per side.
    let size: Int
    /// Row-major, `true` for dark.
    let modules: [Bool]

    /// Encodes `text` (bytes as given, error correction level M: readable with 15% of the symbol damaged).
    /// - Throws: ``TicketRenderError/Code-swift.struct/qrEncoding`` when libqrencode refuses it (too long).
    init(encoding text: String) throws(TicketRenderError) {
        // libqrencode is thread-safe as Debian builds it (with pthreads); each call returns its own symbol.
        guard let symbol = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else {
            throw TicketRenderError(.qrEncoding, "libqrencode could not encode \(text.utf8.count) bytes")
        }
        defer { QRcode_free(symbol) }
        let size = Int(symbol.pointee.width)
        // The lowest bit of each byte is the module's colour; the others describe how it was made.
        self.modules = (0..<size * size).map { symbol.pointee.data[$0] & 1 == 1 }
        self.size = size
    }

    /// Whether the module in `row`, `column` is dark.
    func isDark(row: Int, column: Int) -> Bool { self.modules[row * self.size + column] }
}
