#if canImport(Glibc)
import Glibc
#endif

/// A TrueType font file, read and parsed once: its tables and the Unicode → glyph map of its Windows BMP `cmap`.
///
/// libharu 2.3 embeds a TrueType font with its whole `cmap`, `hmtx`, `loca`, `post` and `name` tables, and parses
/// them all when it loads the font: about 90 KB per font per ticket for DejaVu Sans. So each ticket gets a font cut
/// down to the glyphs of the characters it prints (``subset(covering:)``), numbered from 0, which is a few KB.
struct TrueTypeFont: Sendable {
    /// The file it was read from.
    let path: String
    private let bytes: [UInt8]
    private let tables: [String: Range<Int>]
    private let glyphs: [UInt16: UInt16]
    private let glyphCount: Int
    private let horizontalMetricsCount: Int
    private let longOffsets: Bool

    /// Reads and parses `path`.
    /// - Throws: ``TicketRenderError/Code-swift.struct/font`` when it cannot be read or is not a TrueType font with a
    ///   Windows Unicode (3, 1) format 4 `cmap`.
    init(path: String) throws(TicketRenderError) {
        self.path = path
        guard let bytes = Self.readFile(path) else { throw TicketRenderError(.font, "cannot read the font file \(path)") }
        self.bytes = bytes
        let reader = ByteReader(bytes: bytes)
        guard bytes.count >= 12, [0x0001_0000, 0x7472_7565].contains(reader.u32(0)) else {
            throw TicketRenderError(.font, "\(path) is not a TrueType font")
        }
        var tables: [String: Range<Int>] = [:]
        for index in 0..<Int(reader.u16(4)) {
            let record = 12 + 16 * index
            let tag = String(decoding: bytes[record..<record + 4], as: UTF8.self)
            let offset = Int(reader.u32(record + 8))
            let length = Int(reader.u32(record + 12))
            guard offset + length <= bytes.count else { throw TicketRenderError(.font, "\(path): table \(tag) is truncated") }
            tables[tag] = offset..<offset + length
        }
        for tag in ["cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "name", "post"] where tables[tag] == nil {
            throw TicketRenderError(.font, "\(path) has no \(tag) table")
        }
        self.tables = tables
        self.glyphCount = Int(reader.u16(tables["maxp"]!.lowerBound + 4))
        self.horizontalMetricsCount = Int(reader.u16(tables["hhea"]!.lowerBound + 34))
        self.longOffsets = reader.u16(tables["head"]!.lowerBound + 50) == 1
        guard let glyphs = Self.unicodeGlyphs(reader, cmap: tables["cmap"]!) else {
            throw TicketRenderError(.font, "\(path) has no Windows Unicode BMP (3, 1, format 4) cmap")
        }
        self.glyphs = glyphs
    }

    /// The glyph for `scalar`, or `nil` when the font has none (or it lies outside the Basic Multilingual Plane).
    func glyph(for scalar: Unicode.Scalar) -> UInt16? {
        guard scalar.value <= 0xFFFF else { return nil }
        return self.glyphs[UInt16(scalar.value)]
    }

    /// A TrueType font that maps only `scalars` (those the font has) and holds only their glyphs and the parts of
    /// composite glyphs, renumbered in their order from 0 (`.notdef`); without glyph names, layout tables and all but
    /// the basic names.
    func subset(covering scalars: some Sequence<Unicode.Scalar>) -> [UInt8] {
        let reader = ByteReader(bytes: self.bytes)
        var mapping: [(UInt16, UInt16)] = []
        for scalar in Set(scalars) {
            if let glyph = self.glyph(for: scalar) { mapping.append((UInt16(scalar.value), glyph)) }
        }
        mapping.sort { $0.0 < $1.0 }
        let used = self.glyphClosure([0] + mapping.map(\.1), reader: reader).sorted()
        var newIDs: [Int: UInt16] = [:]
        for (newID, glyph) in used.enumerated() { newIDs[glyph] = UInt16(newID) }
        mapping = mapping.map { ($0.0, newIDs[Int($0.1)] ?? 0) }

        var tables: [(String, [UInt8])] = []
        let (glyf, loca) = self.glyphTables(used, newIDs: newIDs, reader: reader)
        tables.append(("glyf", glyf))
        tables.append(("loca", loca))
        tables.append(("cmap", Self.cmap(mapping)))
        tables.append(("hmtx", self.horizontalMetrics(used, reader: reader)))
        tables.append(("post", Array(self.bytes[self.tables["post"]!.prefix(32)])))
        tables[tables.count - 1].1.replaceSubrange(0..<4, with: [0, 3, 0, 0])
        tables.append(("name", self.basicNames(reader)))
        var head = Array(self.bytes[self.tables["head"]!])
        head[50] = 0
        head[51] = 1  // long loca offsets
        tables.append(("head", head))
        var hhea = Array(self.bytes[self.tables["hhea"]!])
        hhea.replaceSubrange(34..<36, with: [UInt8(used.count >> 8), UInt8(used.count & 0xFF)])  // numberOfHMetrics
        tables.append(("hhea", hhea))
        var maxp = Array(self.bytes[self.tables["maxp"]!])
        maxp.replaceSubrange(4..<6, with: [UInt8(used.count >> 8), UInt8(used.count & 0xFF)])  // numGlyphs
        tables.append(("maxp", maxp))
        for tag in ["OS/2", "cvt ", "fpgm", "prep"] {
            if let range = self.tables[tag] { tables.append((tag, Array(self.bytes[range]))) }
        }
        return Self.assemble(tables)
    }

    // MARK: Parsing

    private static func readFile(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Every BMP character of the (3, 1) format 4 subtable and its glyph.
    private static func unicodeGlyphs(_ reader: ByteReader, cmap: Range<Int>) -> [UInt16: UInt16]? {
        let base = cmap.lowerBound
        var subtable: Int?
        for index in 0..<Int(reader.u16(base + 2)) {
            let record = base + 4 + 8 * index
            if reader.u16(record) == 3, reader.u16(record + 2) == 1 {
                let offset = base + Int(reader.u32(record + 4))
                if reader.u16(offset) == 4 { subtable = offset }
            }
        }
        guard let table = subtable else { return nil }
        let segments = Int(reader.u16(table + 6)) / 2
        let ends = table + 14
        let starts = ends + 2 * segments + 2
        let deltas = starts + 2 * segments
        let rangeOffsets = deltas + 2 * segments
        var glyphs: [UInt16: UInt16] = [:]
        for segment in 0..<segments {
            let start = Int(reader.u16(starts + 2 * segment))
            let end = Int(reader.u16(ends + 2 * segment))
            let delta = reader.u16(deltas + 2 * segment)
            let rangeOffsetPosition = rangeOffsets + 2 * segment
            let rangeOffset = Int(reader.u16(rangeOffsetPosition))
            guard start <= end, end != 0xFFFF || start != 0xFFFF else { continue }
            for code in start...min(end, 0xFFFE) {
                var glyph: UInt16
                if rangeOffset == 0 {
                    glyph = UInt16(truncatingIfNeeded: code) &+ delta
                } else {
                    let position = rangeOffsetPosition + rangeOffset + 2 * (code - start)
                    guard position + 2 <= reader.bytes.count else { continue }
                    glyph = reader.u16(position)
                    if glyph != 0 { glyph = glyph &+ delta }
                }
                if glyph != 0 { glyphs[UInt16(code)] = glyph }
            }
        }
        return glyphs
    }

    /// The glyph's bytes in `glyf`.
    private func glyphRange(_ glyph: Int, reader: ByteReader) -> Range<Int> {
        guard glyph < self.glyphCount else { return 0..<0 }
        let loca = self.tables["loca"]!.lowerBound
        let glyf = self.tables["glyf"]!
        let (start, end) =
            self.longOffsets
            ? (Int(reader.u32(loca + 4 * glyph)), Int(reader.u32(loca + 4 * glyph + 4)))
            : (Int(reader.u16(loca + 2 * glyph)) * 2, Int(reader.u16(loca + 2 * glyph + 2)) * 2)
        guard start <= end, glyf.lowerBound + end <= glyf.upperBound else { return 0..<0 }
        return glyf.lowerBound + start..<glyf.lowerBound + end
    }

    /// `glyphs` and every glyph their composite glyphs are made of.
    private func glyphClosure(_ glyphs: [UInt16], reader: ByteReader) -> Set<Int> {
        var used: Set<Int> = []
        var pending = glyphs.map(Int.init)
        while let glyph = pending.popLast() {
            guard used.insert(glyph).inserted else { continue }
            let range = self.glyphRange(glyph, reader: reader)
            guard range.count >= 10, Int16(bitPattern: reader.u16(range.lowerBound)) < 0 else { continue }
            var position = range.lowerBound + 10
            while position + 4 <= range.upperBound {
                let flags = reader.u16(position)
                pending.append(Int(reader.u16(position + 2)))
                position += 4 + (flags & 0x0001 != 0 ? 4 : 2)
                if flags & 0x0008 != 0 { position += 2 } else if flags & 0x0040 != 0 { position += 4 } else if flags & 0x0080 != 0 { position += 8 }
                guard flags & 0x0020 != 0 else { break }
            }
        }
        return used
    }

    // MARK: Writing

    /// `glyf` with the `used` glyphs' outlines in their new order, without their hinting instructions (a ticket is
    /// read on paper or zoomed on a phone, where unhinted outlines look the same and the instructions are half the
    /// bytes), composite glyphs pointing at their parts' new ids; and its `loca` (long offsets).
    private func glyphTables(_ used: [Int], newIDs: [Int: UInt16], reader: ByteReader) -> ([UInt8], [UInt8]) {
        var glyf: [UInt8] = []
        var loca: [UInt8] = []
        loca.reserveCapacity(4 * (used.count + 1))
        for glyph in used {
            ByteWriter.u32(UInt32(glyf.count), to: &loca)
            let range = self.glyphRange(glyph, reader: reader)
            let contours = range.count >= 10 ? Int(Int16(bitPattern: reader.u16(range.lowerBound))) : 0
            let instructions = range.lowerBound + 10 + 2 * contours
            if contours >= 0, instructions + 2 <= range.upperBound {
                // A simple glyph: header and contour ends, no instructions, then its flags and coordinates.
                let skipped = instructions + 2 + Int(reader.u16(instructions))
                glyf.append(contentsOf: self.bytes[range.lowerBound..<instructions])
                glyf.append(contentsOf: [0, 0])
                glyf.append(contentsOf: self.bytes[min(skipped, range.upperBound)..<range.upperBound])
            } else {
                let start = glyf.count
                glyf.append(contentsOf: self.bytes[range])
                if contours < 0 { Self.renumberComponents(&glyf, from: start, newIDs: newIDs) }
            }
            while glyf.count % 4 != 0 { glyf.append(0) }
        }
        ByteWriter.u32(UInt32(glyf.count), to: &loca)
        return (glyf, loca)
    }

    /// Points the components of the composite glyph at `glyf[start...]` at their new glyph ids.
    private static func renumberComponents(_ glyf: inout [UInt8], from start: Int, newIDs: [Int: UInt16]) {
        var position = start + 10
        while position + 4 <= glyf.count {
            let flags = UInt16(glyf[position]) << 8 | UInt16(glyf[position + 1])
            let old = Int(glyf[position + 2]) << 8 | Int(glyf[position + 3])
            let new = newIDs[old] ?? 0
            glyf[position + 2] = UInt8(new >> 8)
            glyf[position + 3] = UInt8(new & 0xFF)
            position += 4 + (flags & 0x0001 != 0 ? 4 : 2)
            if flags & 0x0008 != 0 { position += 2 } else if flags & 0x0040 != 0 { position += 4 } else if flags & 0x0080 != 0 { position += 8 }
            guard flags & 0x0020 != 0 else { break }
        }
    }

    /// `hmtx` of the `used` glyphs in their new order, each with its own advance width and left side bearing.
    private func horizontalMetrics(_ used: [Int], reader: ByteReader) -> [UInt8] {
        let hmtx = self.tables["hmtx"]!
        let longCount = self.horizontalMetricsCount
        func value(at offset: Int) -> UInt16 { offset >= 0 && offset + 2 <= hmtx.count ? reader.u16(hmtx.lowerBound + offset) : 0 }
        var table: [UInt8] = []
        table.reserveCapacity(4 * used.count)
        for glyph in used {
            // Glyphs past the last long metric take its advance width, and have only a side bearing of their own.
            ByteWriter.u16(value(at: 4 * min(glyph, longCount - 1)), to: &table)
            ByteWriter.u16(value(at: glyph < longCount ? 4 * glyph + 2 : 4 * longCount + 2 * (glyph - longCount)), to: &table)
        }
        return table
    }

    /// A (3, 1) format 4 `cmap`, one segment per run of consecutive characters with consecutive glyphs.
    ///
    /// Few segments keep libharu's lookups short: it walks the segments linearly for every character it measures.
    private static func cmap(_ mapping: [(UInt16, UInt16)]) -> [UInt8] {
        var runs: [(start: UInt16, end: UInt16, glyph: UInt16)] = []
        for (code, glyph) in mapping {
            if let last = runs.last, code == last.end &+ 1, glyph == last.glyph &+ (code &- last.start) {
                runs[runs.count - 1].end = code
            } else {
                runs.append((code, code, glyph))
            }
        }
        runs.append((0xFFFF, 0xFFFF, 0))
        let segments = runs.count
        var table: [UInt8] = []
        for value in [0, 1, 3, 1] as [UInt16] { ByteWriter.u16(value, to: &table) }
        ByteWriter.u32(12, to: &table)
        var power = 1
        var log = 0
        while power * 2 <= segments {
            power *= 2
            log += 1
        }
        let header = [4, 16 + 8 * segments, 0, 2 * segments, 2 * power, log, 2 * segments - 2 * power]
        for value in header { ByteWriter.u16(UInt16(value), to: &table) }
        for run in runs { ByteWriter.u16(run.end, to: &table) }
        ByteWriter.u16(0, to: &table)
        for run in runs { ByteWriter.u16(run.start, to: &table) }
        // The last segment maps 0xFFFF to glyph 0: delta 1.
        for run in runs { ByteWriter.u16(run.start == 0xFFFF ? 1 : run.glyph &- run.start, to: &table) }
        for _ in runs { ByteWriter.u16(0, to: &table) }
        return table
    }

    /// `name` with only the family, style, unique, full, version and PostScript names (ids 1–6).
    private func basicNames(_ reader: ByteReader) -> [UInt8] {
        let name = self.tables["name"]!
        let count = Int(reader.u16(name.lowerBound + 2))
        let storage = name.lowerBound + Int(reader.u16(name.lowerBound + 4))
        var records: [(header: [UInt16], text: ArraySlice<UInt8>)] = []
        for index in 0..<count {
            let record = name.lowerBound + 6 + 12 * index
            let header = (0..<4).map { reader.u16(record + 2 * $0) }
            let length = Int(reader.u16(record + 8))
            let offset = storage + Int(reader.u16(record + 10))
            guard (1...6).contains(header[3]), offset + length <= name.upperBound else { continue }
            records.append((header, self.bytes[offset..<offset + length]))
        }
        var table: [UInt8] = []
        ByteWriter.u16(0, to: &table)
        ByteWriter.u16(UInt16(records.count), to: &table)
        ByteWriter.u16(UInt16(6 + 12 * records.count), to: &table)
        var strings: [UInt8] = []
        for record in records {
            for value in record.header { ByteWriter.u16(value, to: &table) }
            ByteWriter.u16(UInt16(record.text.count), to: &table)
            ByteWriter.u16(UInt16(strings.count), to: &table)
            strings.append(contentsOf: record.text)
        }
        return table + strings
    }

    /// A font file of `tables`: the directory sorted by tag, tables 4-byte aligned, checksums set.
    private static func assemble(_ tables: [(String, [UInt8])]) -> [UInt8] {
        let sorted = tables.sorted { $0.0 < $1.0 }
        var power = 1
        var log = 0
        while power * 2 <= sorted.count {
            power *= 2
            log += 1
        }
        var file: [UInt8] = []
        ByteWriter.u32(0x0001_0000, to: &file)
        for value in [sorted.count, 16 * power, log, 16 * sorted.count - 16 * power] { ByteWriter.u16(UInt16(value), to: &file) }
        var offset = 12 + 16 * sorted.count
        var headOffset: Int?
        for (tag, table) in sorted {
            file.append(contentsOf: Array(tag.utf8))
            ByteWriter.u32(Self.checksum(table[...]), to: &file)
            ByteWriter.u32(UInt32(offset), to: &file)
            ByteWriter.u32(UInt32(table.count), to: &file)
            if tag == "head" { headOffset = offset }
            offset += (table.count + 3) & ~3
        }
        for (_, table) in sorted {
            file.append(contentsOf: table)
            while file.count % 4 != 0 { file.append(0) }
        }
        if let headOffset {
            file.replaceSubrange(headOffset + 8..<headOffset + 12, with: [0, 0, 0, 0])
            let adjustment = 0xB1B0_AFBA &- Self.checksum(file[...])
            var encoded: [UInt8] = []
            ByteWriter.u32(adjustment, to: &encoded)
            file.replaceSubrange(headOffset + 8..<headOffset + 12, with: encoded)
        }
        return file
    }

    private static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var sum: UInt32 = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var word: UInt32 = 0
            for offset in 0..<4 { word = word << 8 | UInt32(index + offset < bytes.endIndex ? bytes[index + offset] : 0) }
            sum = sum &+ word
            index += 4
        }
        return sum
    }
}

/// Big-endian reads from a font file.
private struct ByteReader {
    let bytes: [UInt8]
    func u16(_ offset: Int) -> UInt16 { UInt16(self.bytes[offset]) << 8 | UInt16(self.bytes[offset + 1]) }
    func u32(_ offset: Int) -> UInt32 { UInt32(self.u16(offset)) << 16 | UInt32(self.u16(offset + 2)) }
}

/// Big-endian writes into a font file.
private enum ByteWriter {
    static func u16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    static func u32(_ value: UInt32, to bytes: inout [UInt8]) {
        Self.u16(UInt16(value >> 16), to: &bytes)
        Self.u16(UInt16(value & 0xFFFF), to: &bytes)
    }
}
