import TicketCore

#if canImport(Glibc)
import Glibc
#endif

/// The PDF tickets on disk: `<root>/<ab>/<purchaseId>.pdf`, where `ab` is the first two characters of the id.
///
/// The path is computed from a validated ``PurchaseID`` alone (26 characters of `[0-9a-z]`), never from request
/// text, so no input can name a file outside the root. The download URL names only the purchase, so the path must
/// not need the event. Purchase ids are uniformly random (or hashes), so the 1,024 shard directories fill evenly:
/// a million tickets are about a thousand files per directory, which stays fast to look up and to list.
///
/// Every method blocks on file IO: call them on a thread pool, never on an event loop.
public struct TicketArchive: Sendable {
    /// The directory every ticket lives under.
    public let root: String

    /// Creates an archive rooted at `root` (created on first write).
    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    /// The shard directory of `id`.
    func shard(of id: PurchaseID) -> String { "\(self.root)/\(id.rawValue.prefix(2))" }

    /// Where `id`'s ticket is stored.
    public func path(of id: PurchaseID) -> String { "\(self.shard(of: id))/\(id.rawValue).pdf" }

    /// Whether `id` has a ticket on disk.
    public func contains(_ id: PurchaseID) -> Bool {
        var status = stat()
        return stat(self.path(of: id), &status) == 0 && status.st_size > 0
    }

    /// The stored ticket of `id`, or `nil` when there is none.
    /// - Throws: ``TicketArchiveError`` when the file exists but cannot be read.
    public func read(_ id: PurchaseID) throws(TicketArchiveError) -> [UInt8]? {
        let path = self.path(of: id)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw TicketArchiveError(operation: "open", path: path, errno: errno)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw TicketArchiveError(operation: "read", path: path, errno: errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes.isEmpty ? nil : bytes
    }

    /// Stores `bytes` as `id`'s ticket, atomically: written to a temporary file in the same directory, then renamed,
    /// so a reader sees the old file, no file, or the whole new one, never a part.
    ///
    /// The file is not `fsync`ed: a ticket is derived from the ledger, and one lost in a power cut is rendered again
    /// on its next download or by the start-up scan.
    /// - Throws: ``TicketArchiveError`` when the directory or file cannot be written.
    public func write(_ bytes: [UInt8], for id: PurchaseID) throws(TicketArchiveError) {
        let shard = self.shard(of: id)
        let temporary = "\(shard)/.\(id.rawValue).\(UInt64.random(in: .min ... .max)).tmp"
        var descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0, errno == ENOENT {
            try self.makeDirectories(shard)
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else { throw TicketArchiveError(operation: "create", path: temporary, errno: errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let error = TicketArchiveError(operation: "write", path: temporary, errno: errno)
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += count
        }
        guard close(descriptor) == 0 else {
            let error = TicketArchiveError(operation: "close", path: temporary, errno: errno)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, self.path(of: id)) == 0 else {
            let error = TicketArchiveError(operation: "rename", path: temporary, errno: errno)
            unlink(temporary)
            throw error
        }
    }

    /// Creates the root directory if it is missing and checks that tickets can be written in it: a server whose
    /// directory is unusable should stop at start, not sell and then fail every download.
    /// - Throws: ``TicketArchiveError`` when the directory cannot be created or written to.
    public func prepare() throws(TicketArchiveError) {
        try self.makeDirectories(self.root)
        guard access(self.root, W_OK | X_OK) == 0 else { throw TicketArchiveError(operation: "access", path: self.root, errno: errno) }
    }

    /// Deletes `id`'s ticket, if there is one.
    /// - Returns: whether a file was deleted.
    /// - Throws: ``TicketArchiveError`` when the file exists but cannot be deleted.
    @discardableResult
    public func remove(_ id: PurchaseID) throws(TicketArchiveError) -> Bool {
        let path = self.path(of: id)
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw TicketArchiveError(operation: "unlink", path: path, errno: errno)
    }

    /// Creates `path` and any missing parents (`mkdir -p`).
    private func makeDirectories(_ path: String) throws(TicketArchiveError) {
        do {
            try Directories.create(path)
        } catch {
            throw TicketArchiveError(operation: "mkdir", path: error.path, errno: error.errno)
        }
    }
}
