import Foundation
import Glibc
import Testing
import TicketCore

@testable import TicketPDF

@Suite final class TicketArchiveTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("ticket-archive-\(UUID().uuidString)").path
    let archive: TicketArchive

    init() { self.archive = TicketArchive(root: self.root + "/nested/tickets") }

    deinit { try? FileManager.default.removeItem(atPath: self.root) }

    @Test func ticketsAreShardedByTheFirstTwoCharactersOfTheirId() throws {
        let id = PurchaseID("acks58z8q1sy3dv7wj733f3krm")!
        #expect(self.archive.path(of: id) == self.root + "/nested/tickets/ac/acks58z8q1sy3dv7wj733f3krm.pdf")
        #expect(!self.archive.contains(id))
        #expect(try self.archive.read(id) == nil)
        try self.archive.write([1, 2, 3], for: id)
        #expect(self.archive.contains(id))
        #expect(try self.archive.read(id) == [1, 2, 3])
        try self.archive.write([4, 5], for: id)
        #expect(try self.archive.read(id) == [4, 5], "a rewrite replaces the file whole")
        let shard = try FileManager.default.contentsOfDirectory(atPath: self.root + "/nested/tickets/ac")
        #expect(shard == ["acks58z8q1sy3dv7wj733f3krm.pdf"], "no temporary file is left behind")
    }

    @Test func cleanupDeletesOnlyOldFilesAndStatisticsCountThem() throws {
        let old = PurchaseID.random()
        let fresh = PurchaseID.random()
        try self.archive.write(Array(repeating: 7, count: 100), for: old)
        try self.archive.write(Array(repeating: 7, count: 50), for: fresh)
        // Someone else's file in a shard directory, as old as the old ticket: not the archive's to delete.
        let stranger = (self.archive.path(of: old) as NSString).deletingLastPathComponent + "/notes.txt"
        try "keep me".write(toFile: stranger, atomically: false, encoding: .utf8)
        let twoDaysAgo = time(nil) - 2 * 86_400
        var times = [timeval(tv_sec: twoDaysAgo, tv_usec: 0), timeval(tv_sec: twoDaysAgo, tv_usec: 0)]
        #expect(utimes(self.archive.path(of: old), &times) == 0)
        #expect(utimes(stranger, &times) == 0)

        let before = try self.archive.statistics()
        #expect(before.files == 2 && before.bytes == 150 && before.oldestModified == twoDaysAgo)
        let result = try self.archive.deleteFiles(modifiedBefore: Double(time(nil) - 86_400))
        #expect(result.deleted == 1 && result.freedBytes == 100)
        #expect(!self.archive.contains(old) && self.archive.contains(fresh))
        #expect(FileManager.default.fileExists(atPath: stranger))
        #expect(try self.archive.statistics().files == 1)
    }

    @Test func anArchiveThatWasNeverWrittenIsEmpty() throws {
        #expect(try self.archive.statistics() == TicketArchive.Statistics())
        #expect(try self.archive.deleteFiles(modifiedBefore: Double(time(nil))) == TicketArchive.CleanupResult())
    }
}
