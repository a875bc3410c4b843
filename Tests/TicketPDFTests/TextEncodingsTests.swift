import Testing

@testable import TicketPDF

@Suite struct TextEncodingsTests {
    let encodings: TextEncodings

    init() throws { self.encodings = try TextEncodings() }

    @Test func latinOneTextIsOneWinAnsiRun() throws {
        let runs = try #require(self.encodings.runs("Zoë Ñúñez · 12 € …"))
        #expect(runs.map(\.encoding) == ["WinAnsiEncoding"])
        #expect(runs[0].bytes == [0x5A, 0x6F, 0xEB, 0x20, 0xD1, 0xFA, 0xF1, 0x65, 0x7A, 0x20, 0xB7, 0x20, 0x31, 0x32, 0x20, 0x80, 0x20, 0x85, 0])
        #expect(self.encodings.isWinAnsi("Zoë Ñúñez") && self.encodings.runs("") == [])
    }

    @Test func aLineThatMixesScriptsIsSplitIntoRunsOfOneCodePageEach() throws {
        let runs = try #require(self.encodings.runs("Ольга · Σοφία · Café"))
        #expect(runs.map(\.encoding) == ["CP1251", "CP1253", "WinAnsiEncoding"])
        #expect(runs[0].bytes == [0xCE, 0xEB, 0xFC, 0xE3, 0xE0, 0x20, 0xB7, 0x20, 0])
        #expect(!self.encodings.isWinAnsi("Ольга"))
    }

    @Test func charactersOfNoCodePageAreRefused() {
        #expect(self.encodings.runs("李") == nil && self.encodings.runs("שרה") == nil && self.encodings.runs("tab\there") == nil)
        #expect(self.encodings.canEncode("ő") && self.encodings.canEncode("ł") && !self.encodings.canEncode("🎫"))
    }
}
