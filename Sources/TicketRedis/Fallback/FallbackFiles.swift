import Foundation
import NIOPosix
import TicketCore

/// The fallback's directory (`FALLBACK_DIR`): the instance id, the escrow mirror and the journal, each read and
/// written on a thread pool so that no event loop and no cooperative thread waits for the disk.
///
/// - `instance-id`: this instance's id, chosen on first start and kept (or `INSTANCE_ID`'s, recorded), so a restart
///   finds its own escrow and a directory is never started under another id while it holds escrow or sales.
/// - `escrow.json`: the escrow as Redis holds it (tickets sold from it but not yet settled included).
/// - `journal.jsonl`: one JSON ``Purchase`` per line, every fallback sale not yet settled.
/// - `directory-token`: tells this directory from another one under the same instance id.
public struct FallbackFiles: Sendable {
    /// The directory.
    public let directory: String
    private let threadPool: NIOThreadPool

    /// Uses `directory`, created when missing, with the files' IO on `threadPool`.
    public init(directory: String, threadPool: NIOThreadPool = .singleton) async throws {
        self.directory = directory
        self.threadPool = threadPool
        try await threadPool.runIfActive { try DurableFile.makeDirectory(directory) }
    }

    var instancePath: String { self.directory + "/instance-id" }
    var escrowPath: String { self.directory + "/escrow.json" }
    var journalPath: String { self.directory + "/journal.jsonl" }

    /// The instance id kept in the directory; on first start a new one (`host-random`) is chosen and kept.
    public func instanceID() async throws -> InstanceID {
        let path = self.instancePath
        return try await self.threadPool.runIfActive {
            if let bytes = try DurableFile.read(path) {
                let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard let id = InstanceID(text) else { throw FallbackStorageError("\(path) holds no valid instance id: \(text)") }
                return id
            }
            let host = ProcessInfo.processInfo.hostName.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }.prefix(40)
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let id = InstanceID("\(host.isEmpty ? "ticketd" : String(host))-\(suffix)")!
            try DurableFile.replace(path, with: Array((id.rawValue + "\n").utf8))
            return id
        }
    }

    /// Records `configured`, an `INSTANCE_ID` setting, as this directory's instance id, unless the directory's escrow
    /// or journal belongs to another one: sold from under another id, its escrow copy would name tickets of that
    /// id's escrow list in Redis, which a release of that id would put back on sale.
    /// - Throws: ``FallbackStorageError`` when the directory holds another id's escrow or unsettled sales.
    public func adopt(_ configured: InstanceID) async throws {
        let path = self.instancePath
        let recorded = try await self.threadPool.runIfActive {
            try DurableFile.read(path).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        if recorded == configured.rawValue { return }
        if let recorded {
            let holdsEscrow = try await self.loadEscrow().contains { !$0.tickets.isEmpty }
            let holdsSales = try await !self.loadJournal().isEmpty
            if holdsEscrow || holdsSales {
                throw FallbackStorageError(
                    "FALLBACK_DIR \(self.directory) holds the escrow or unsettled sales of instance \(recorded), not \(configured): start "
                        + "it with INSTANCE_ID=\(recorded) (or unset), or give \(configured) a FALLBACK_DIR of its own"
                )
            }
        }
        try await self.threadPool.runIfActive { try DurableFile.replace(path, with: Array((configured.rawValue + "\n").utf8)) }
    }

    /// This directory's token, which tells it from any other directory under the same instance id (see
    /// `claim-instance.lua`); chosen at random on first use and kept.
    func directoryToken() async throws -> String {
        let path = self.directory + "/directory-token"
        return try await self.threadPool.runIfActive {
            if let bytes = try DurableFile.read(path) {
                let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !token.isEmpty, !token.contains(" ") else { throw FallbackStorageError("\(path) holds no valid token: \(token)") }
                return token
            }
            let token = UUID().uuidString.lowercased()
            try DurableFile.replace(path, with: Array((token + "\n").utf8))
            return token
        }
    }

    /// The escrow mirror, empty when there is none.
    func loadEscrow() async throws -> [EscrowBlock] {
        let path = self.escrowPath
        return try await self.threadPool.runIfActive {
            guard let bytes = try DurableFile.read(path), !bytes.isEmpty else { return [] }
            return try JSONDecoder().decode([EscrowBlock].self, from: Data(bytes))
        }
    }

    /// Replaces the escrow mirror, durably.
    func saveEscrow(_ blocks: [EscrowBlock]) async throws {
        let path = self.escrowPath
        let bytes = Array(try JSONEncoder().encode(blocks))
        try await self.threadPool.runIfActive { try DurableFile.replace(path, with: bytes) }
    }

    /// Every sale in the journal, first occurrence of each purchase id; a torn last line (a crash mid-write,
    /// never acknowledged) is skipped.
    func loadJournal() async throws -> [Purchase] {
        let path = self.journalPath
        return try await self.threadPool.runIfActive {
            guard let bytes = try DurableFile.read(path) else { return [] }
            var seen: Set<PurchaseID> = []
            var sales: [Purchase] = []
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                guard let sale = try? JSONDecoder().decode(Purchase.self, from: Data(line)) else { continue }
                if seen.insert(sale.purchaseID).inserted { sales.append(sale) }
            }
            return sales
        }
    }

    /// Appends lines to the journal and `fsync`s it; blocking, for ``FallbackJournal``'s writer.
    func appendJournal(_ bytes: [UInt8]) async throws {
        let path = self.journalPath
        try await self.threadPool.runIfActive { try DurableFile.append(bytes, to: path) }
    }

    /// Replaces the journal, durably; for ``FallbackJournal``'s writer.
    func replaceJournal(_ bytes: [UInt8]) async throws {
        let path = self.journalPath
        try await self.threadPool.runIfActive { try DurableFile.replace(path, with: bytes) }
    }

    /// One journal line for `sale`.
    static func journalLine(_ sale: Purchase) -> [UInt8] {
        // Encoding a Purchase cannot fail: every field is a string or an integer.
        (try? Array(JSONEncoder().encode(sale))).map { $0 + [UInt8(ascii: "\n")] } ?? []
    }
}
