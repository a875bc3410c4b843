import Foundation
import Synchronization
import Testing
import TicketCore

@testable import TicketRedis

/// The journal and the escrow mirror on disk.
@Suite(.timeLimit(.minutes(5))) struct FallbackJournalTests {
    func withFiles(_ body: (FallbackFiles) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fallback-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(try await FallbackFiles(directory: directory + "/data"))
    }

    func sale(_ ticket: Int) -> Purchase {
        Purchase(purchaseID: .random(), eventID: EventID("1")!, ticketID: "\(ticket)", userID: UserID("u\(ticket)"), purchasedAt: Int64(ticket))
    }

    @Test func concurrentAppendsAreAllOnDiskAndAReplaceKeepsTheRest() async throws {
        try await withFiles { files in
            let journal = FallbackJournal(files: files)
            let sales = (1...300).map(self.sale)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sale in sales { group.addTask { try await journal.append(sale) } }
                try await group.waitForAll()
            }
            #expect(Set(try await files.loadJournal()) == Set(sales))
            try await journal.replace { Array(sales.prefix(10)) }
            try await journal.append(sales[0])
            #expect(try await files.loadJournal() == Array(sales.prefix(10)), "a repeated line counts once")
        }
    }

    /// Each sale is in memory before its append, as the fallback store makes them, and replaces run meanwhile, as
    /// settling does: every sale stays on disk. (Settling took its list, then saved the mirror, then replaced the
    /// journal: a sale appended, and acknowledged, in between was wiped from the file until the next settle.)
    @Test func aReplaceKeepsEverySaleAppendedBeforeItIsWritten() async throws {
        try await withFiles { files in
            let journal = FallbackJournal(files: files)
            let unsettled = SalesInMemory()
            let sales = (1...400).map(self.sale)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, sale) in sales.enumerated() {
                    group.addTask {
                        unsettled.add(sale)
                        try await journal.append(sale)
                    }
                    if index % 20 == 0 { group.addTask { try await journal.replace { unsettled.all } } }
                }
                try await group.waitForAll()
            }
            #expect(Set(try await files.loadJournal()) == Set(sales))
        }
    }

    @Test func aTornLastLineIsSkippedAndTheInstanceIDIsKept() async throws {
        try await withFiles { files in
            try await FallbackJournal(files: files).append(self.sale(1))
            let handle = try #require(FileHandle(forWritingAtPath: files.journalPath))
            handle.seekToEndOfFile()
            handle.write(Data(#"{"purchaseID":"#.utf8))
            try handle.close()
            #expect(try await files.loadJournal().map(\.ticketID) == ["1"])
            let id = try await files.instanceID()
            #expect(try await files.instanceID() == id)
            try await files.saveEscrow([EscrowBlock(eventID: EventID("1")!, perUserLimit: 0, tickets: ["5"])])
            #expect(try await files.loadEscrow().first?.tickets == ["5"])
        }
    }
}

/// The sales a fallback store holds in memory, as the journal's replacements ask for them.
private final class SalesInMemory: Sendable {
    private let sales = Mutex<[Purchase]>([])

    func add(_ sale: Purchase) { self.sales.withLock { $0.append(sale) } }

    var all: [Purchase] { self.sales.withLock { $0 } }
}
