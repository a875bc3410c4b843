import CLibHaru

/// One libharu document: created, drawn, saved and freed inside one render call, on one thread.
///
/// libharu keeps all of a document's state (fonts, encoders, pages, the last error) in its `HPDF_Doc`, and two
/// documents share nothing, so renders on different threads never interfere; a document itself must never be
/// shared, which this non-copyable owner makes hard to do by accident. No error handler is installed: every call's
/// status is checked instead, so a failure never longjmps or aborts.
struct HaruDocument: ~Copyable {
    /// The document. Valid until `deinit`.
    let handle: HPDF_Doc

    /// Creates an empty document.
    init() throws(TicketRenderError) {
        guard let handle = HPDF_New(nil, nil) else { throw TicketRenderError(.pdf, "HPDF_New failed: out of memory") }
        self.handle = handle
    }

    deinit { HPDF_Free(self.handle) }

    /// Throws unless `status` is `HPDF_OK`.
    func check(_ status: HPDF_STATUS, _ what: StaticString) throws(TicketRenderError) {
        guard status != HPDF_OK else { return }
        throw self.error(what)
    }

    /// `value`, or the document's error when it is `nil`.
    func require<Value>(_ value: Value?, _ what: StaticString) throws(TicketRenderError) -> Value {
        guard let value else { throw self.error(what) }
        return value
    }

    /// The error libharu recorded for the last failed call.
    func error(_ what: StaticString) -> TicketRenderError {
        let code = HPDF_GetError(self.handle)
        let detail = HPDF_GetErrorDetail(self.handle)
        return TicketRenderError(.pdf, "\(what) failed: libharu error 0x\(String(code, radix: 16, uppercase: true)), detail \(detail)")
    }

    /// Loads a TrueType font from `bytes`, to be embedded as a subset tagged `tag` (six capital letters, unique in the
    /// document), and returns its name in this document.
    ///
    /// libharu 2.3's public API loads fonts only from files; this does what `HPDF_LoadTTFontFromFile` does, from a
    /// memory stream, through the library's own font-definition functions (exported, declared in Debian's
    /// `libhpdf-dev` headers): no temporary file, and no reading the font two bytes per `fread`.
    func loadTrueTypeFont(_ bytes: [UInt8], tag: String) throws(TicketRenderError) -> String {
        let memory = self.handle.pointee.mmgr
        guard let stream = HPDF_MemStream_New(memory, HPDF_UINT(max(bytes.count, 1))) else { throw self.error("HPDF_MemStream_New") }
        let written = bytes.withUnsafeBufferPointer { HPDF_Stream_Write(stream, $0.baseAddress, HPDF_UINT($0.count)) }
        guard written == HPDF_OK else {
            HPDF_Stream_Free(stream)
            throw self.error("HPDF_Stream_Write")
        }
        // The definition owns the stream from here on; libharu frees both when loading fails.
        guard let definition = HPDF_TTFontDef_Load(memory, stream, HPDF_BOOL(HPDF_TRUE)) else { throw self.error("HPDF_TTFontDef_Load") }
        // The document owns the definition once registered; libharu frees it when registering fails.
        try self.check(HPDF_Doc_RegisterFontDef(self.handle, definition), "HPDF_Doc_RegisterFontDef")
        tag.withCString { HPDF_TTFontDef_SetTagName(definition, UnsafeMutablePointer(mutating: $0)) }
        return withUnsafeBytes(of: definition.pointee.base_font) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }

    /// The finished document's bytes.
    func bytes() throws(TicketRenderError) -> [UInt8] {
        try self.check(HPDF_SaveToStream(self.handle), "HPDF_SaveToStream")
        let size = Int(HPDF_GetStreamSize(self.handle))
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            var length = HPDF_UINT32(size - filled)
            let status = bytes.withUnsafeMutableBufferPointer { buffer in
                HPDF_ReadFromStream(self.handle, buffer.baseAddress! + filled, &length)
            }
            // The last read reports HPDF_STREAM_EOF with the final bytes.
            guard status == HPDF_OK || status == HPDF_STREAM_EOF else { throw self.error("HPDF_ReadFromStream") }
            guard length > 0 else { break }
            filled += Int(length)
        }
        guard filled == size else { throw TicketRenderError(.pdf, "HPDF_ReadFromStream returned \(filled) of \(size) bytes") }
        return bytes
    }
}
