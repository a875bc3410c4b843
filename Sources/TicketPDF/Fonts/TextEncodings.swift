/// The single-byte encodings a ticket's text is printed in, and how a text is split among them.
///
/// WinAnsi (Windows-1252: Latin-1 and a few more) comes first: text it encodes whole is set in Base-14 Helvetica,
/// which every PDF reader has, so nothing is embedded. Any other text is set in the embedded TrueType face, in runs
/// that each use the encoding that covers the most of it from there on: WinAnsi for its Latin parts, CP1251 for
/// Cyrillic, CP1253 and ISO 8859-7 for Greek, and the Windows and ISO 8859 code pages of Central, Eastern and
/// Northern European Latin. A single-byte encoding costs libharu a 256-entry table per font, where its UTF-8 encoder
/// builds 65,536 entries per font per document.
///
/// Scripts written right to left or that need shaping (Hebrew, Arabic, Thai) are left out on purpose: drawn one
/// character after another they would come out garbled, so they are refused like a character the font lacks.
struct TextEncodings: Sendable {
    /// libharu's name of WinAnsi, the encoding of Base-14 text.
    static let winAnsi = "WinAnsiEncoding"
    /// libharu's names of the encodings, in order of preference.
    static let names = [
        Self.winAnsi, "CP1251", "CP1253", "ISO8859-7", "CP1250", "CP1257", "CP1254", "ISO8859-2", "ISO8859-3", "ISO8859-4",
        "ISO8859-9", "ISO8859-10", "ISO8859-13", "ISO8859-14", "ISO8859-15", "ISO8859-16",
    ]

    /// A piece of text in one encoding.
    struct Run: Hashable {
        /// libharu's name of the encoding.
        let encoding: String
        /// The text's bytes in it, followed by a NUL for libharu.
        let bytes: [UInt8]
    }

    private let encodings: [SingleByteEncoding]

    /// Reads the encodings' tables from libharu.
    init() throws(TicketRenderError) {
        let document = try HaruDocument()
        var encodings: [SingleByteEncoding] = []
        for name in Self.names { encodings.append(try SingleByteEncoding(name, from: document)) }
        self.encodings = encodings
    }

    /// Whether WinAnsi encodes all of `text`, so that it can be set in a Base-14 font.
    func isWinAnsi(_ text: String) -> Bool { self.encodings[0].encodes(text) }

    /// Whether some encoding has `scalar`.
    func canEncode(_ scalar: Unicode.Scalar) -> Bool { self.encodings.contains { $0.byte(for: scalar) != nil } }

    /// `text` as runs, each in the encoding that covers the most of it from the run's start (the first one of
    /// ``names`` when several do); `nil` when a character is in none. Text WinAnsi encodes whole is one WinAnsi run.
    func runs(_ text: String) -> [Run]? {
        let winAnsi = self.encodings[0]
        if let bytes = Self.bytes(of: text, in: winAnsi) { return bytes.count == 1 ? [] : [Run(encoding: winAnsi.name, bytes: bytes)] }
        let scalars = Array(text.unicodeScalars)
        var runs: [Run] = []
        var start = 0
        while start < scalars.count {
            var best: (encoding: SingleByteEncoding, end: Int)?
            for encoding in self.encodings {
                var end = start
                while end < scalars.count, encoding.byte(for: scalars[end]) != nil { end += 1 }
                if end > best?.end ?? start { best = (encoding, end) }
            }
            guard let best else { return nil }
            let bytes = scalars[start..<best.end].compactMap { best.encoding.byte(for: $0) }
            runs.append(Run(encoding: best.encoding.name, bytes: bytes + [0]))
            start = best.end
        }
        return runs
    }

    /// `text` in `encoding` followed by a NUL, or `nil` when a character is not in it.
    private static func bytes(of text: String, in encoding: SingleByteEncoding) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 1)
        for scalar in text.unicodeScalars {
            guard let byte = encoding.byte(for: scalar) else { return nil }
            bytes.append(byte)
        }
        bytes.append(0)
        return bytes
    }
}
