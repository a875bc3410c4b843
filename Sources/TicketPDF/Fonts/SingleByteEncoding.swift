import CLibHaru

/// One of libharu's single-byte encodings, as the Unicode characters it prints and each one's byte.
///
/// The table is read from libharu itself (`HPDF_Encoder_GetUnicode`), so the bytes drawn are exactly the ones the
/// PDF's `/Encoding` maps back to those characters. Control characters are left out.
struct SingleByteEncoding: Sendable {
    /// libharu's name for it, such as `WinAnsiEncoding` or `CP1251`.
    let name: String
    private let bytes: [Unicode.Scalar: UInt8]

    /// Reads `name`'s table from `document`.
    init(_ name: String, from document: borrowing HaruDocument) throws(TicketRenderError) {
        guard let encoder = HPDF_GetEncoder(document.handle, name) else { throw document.error("HPDF_GetEncoder") }
        var bytes: [Unicode.Scalar: UInt8] = [:]
        for code in UInt8(0x20)...UInt8(0xFF) where code != 0x7F {
            let value = HPDF_Encoder_GetUnicode(encoder, HPDF_UINT16(code))
            // Unassigned codes read as 0; where two codes print the same character, the first one is used.
            guard value >= 0x20, !(0x7F...0x9F).contains(value), let scalar = Unicode.Scalar(UInt32(value)), bytes[scalar] == nil else { continue }
            bytes[scalar] = code
        }
        self.name = name
        self.bytes = bytes
    }

    /// The byte that prints `scalar`, or `nil` when this encoding has none.
    func byte(for scalar: Unicode.Scalar) -> UInt8? { self.bytes[scalar] }

    /// Whether every character of `text` has a byte here.
    func encodes(_ text: String) -> Bool { text.unicodeScalars.allSatisfy { self.bytes[$0] != nil } }
}
