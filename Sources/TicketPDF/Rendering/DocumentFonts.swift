import CLibHaru

/// The fonts of one document, and the runs each text is drawn in.
///
/// Text that WinAnsi encodes whole is set in Base-14 Helvetica (bold: Helvetica-Bold), which is never embedded;
/// other text in the document's embedded TrueType subset of its face, one libharu font per encoding it needs (the
/// fonts of one face share one embedded font file).
struct DocumentFonts {
    /// Regular or bold.
    enum Face {
        case regular
        case bold
    }

    /// A piece of text and the font that prints its bytes.
    struct Run {
        let font: HPDF_Font
        /// The bytes, followed by a NUL.
        let bytes: [UInt8]
    }

    private let document: HPDF_Doc
    private let encodings: TextEncodings
    private let regular: String?
    private let bold: String?

    /// The fonts of `document`; `regular` and `bold` are libharu's names of the embedded TrueType faces, `nil` when
    /// the document prints nothing in that face that WinAnsi cannot encode.
    init(document: HPDF_Doc, encodings: TextEncodings, regular: String?, bold: String?) {
        self.document = document
        self.encodings = encodings
        self.regular = regular
        self.bold = bold
    }

    /// `text` in `face` as runs of one font each; `nil` when libharu fails or the text has a character no encoding has
    /// (the renderer checks every text before drawing, so that does not happen).
    func runs(_ text: String, face: Face) -> [Run]? {
        guard let runs = self.encodings.runs(text) else { return nil }
        if runs.allSatisfy({ $0.encoding == TextEncodings.winAnsi }) {
            // Text WinAnsi encodes whole: one run, none when empty.
            let name = face == .bold ? "Helvetica-Bold" : "Helvetica"
            guard let font = HPDF_GetFont(self.document, name, TextEncodings.winAnsi) else { return nil }
            return runs.map { Run(font: font, bytes: $0.bytes) }
        }
        guard let embedded = face == .bold ? self.bold : self.regular else { return nil }
        var result: [Run] = []
        for run in runs {
            guard let font = HPDF_GetFont(self.document, embedded, run.encoding) else { return nil }
            result.append(Run(font: font, bytes: run.bytes))
        }
        return result
    }
}
