import CLibHaru

#if canImport(Glibc)
import Glibc
#endif

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

    /// Loads a TrueType font from `bytes`, embedded, and returns its name in this document.
    ///
    /// libharu 2.3 loads fonts only from files, and reads glyphs from the open file again when saving; so the bytes go
    /// to a temporary file in memory (`/dev/shm`, else `/tmp`) that is unlinked at once and lives as long as libharu's
    /// open handle, that is, as long as this document.
    func loadTrueTypeFont(_ bytes: [UInt8]) throws(TicketRenderError) -> String {
        let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        var template = Array("\(directory)/ticketd-font-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw TicketRenderError(.font, "cannot create a font file in \(directory): errno \(errno)") }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                close(descriptor)
                throw TicketRenderError(.font, "cannot write a font file in \(directory): errno \(errno)")
            }
            written += count
        }
        close(descriptor)
        guard let name = HPDF_LoadTTFontFromFile(self.handle, path, HPDF_BOOL(HPDF_TRUE)) else {
            throw self.error("HPDF_LoadTTFontFromFile")
        }
        return String(cString: name)
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
