import CLibHaru

/// One of libharu's single-byte encodings, as the Unicode characters it prints and each one's byte.
///
/// The table is read from libharu itself (`HPDF_Encoder_GetUnicode`), so the bytes drawn are exactly the ones the
/// PDF's `/Encoding` maps back to those characters. Control characters are left out.
struct SingleByteEncoding: Sendable {
    /// libharu's name for it, such as `WinAnsiEncoding` or `CP1251`.
    let name: String
    /// The byte of each character below ``directLimit``, 0 for none: a lookup on every character drawn or measured.
    private let direct: [UInt8]
    /// The bytes of the few characters above it (the euro sign, the drachma sign).
    private let others: [Unicode.Scalar: UInt8]
    /// Past Latin, Greek, Cyrillic and the general punctuation and letterlike symbols.
    private static let directLimit = 0x2200

    /// Reads `name`'s table from `document`.
    init(_ name: String, from document: borrowing HaruDocument) throws(TicketRenderError) {
        guard let encoder = HPDF_GetEncoder(document.handle, name) else { throw document.error("HPDF_GetEncoder") }
        var direct = [UInt8](repeating: 0, count: Self.directLimit)
        var others: [Unicode.Scalar: UInt8] = [:]
        for code in UInt8(0x20)...UInt8(0xFF) where code != 0x7F {
            let value = Int(HPDF_Encoder_GetUnicode(encoder, HPDF_UINT16(code)))
            // Unassigned codes read as 0; where two codes print the same character, the first one is used.
            guard value >= 0x20, !(0x7F...0x9F).contains(value), let scalar = Unicode.Scalar(UInt32(value)) else { continue }
            if value < Self.directLimit {
                if direct[value] == 0 { direct[value] = code }
            } else if others[scalar] == nil {
                others[scalar] = code
            }
        }
        self.name = name
        self.direct = direct
        self.others = others
    }

    /// The byte that prints `scalar`, or `nil` when this encoding has none.
    func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < Self.directLimit else { return self.others[scalar] }
        let byte = self.direct[value]
        return byte == 0 ? nil : byte
    }

    /// Whether every character of `text` has a byte here.
    func encodes(_ text: String) -> Bool { text.unicodeScalars.allSatisfy { self.byte(for: $0) != nil } }
}
