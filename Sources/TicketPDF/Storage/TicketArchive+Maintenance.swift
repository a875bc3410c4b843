#if canImport(Glibc)
import Glibc
#endif

extension TicketArchive {
    /// What the archive holds.
    public struct Statistics: Sendable, Hashable {
        /// Ticket files.
        public var files = 0
        /// Their total size in bytes.
        public var bytes = 0
        /// The modification time of the oldest ticket, in seconds since 1970, or `nil` when there is none.
        public var oldestModified: Int?
    }

    /// What a cleanup removed.
    public struct CleanupResult: Sendable, Hashable {
        /// Ticket files deleted.
        public var deleted = 0
        /// Their total size in bytes.
        public var freedBytes = 0
        /// Temporary files left by an interrupted write, deleted too.
        public var abandonedTemporaryFiles = 0
    }

    /// Counts the tickets. Reads every shard directory: about a second per million tickets.
    /// - Throws: ``TicketArchiveError`` when a directory cannot be read.
    public func statistics() throws(TicketArchiveError) -> Statistics {
        var statistics = Statistics()
        try self.forEachFile { _, name, status in
            guard name.hasSuffix(".pdf") else { return }
            statistics.files += 1
            statistics.bytes += Int(status.st_size)
            let modified = Int(status.st_mtim.tv_sec)
            statistics.oldestModified = min(statistics.oldestModified ?? modified, modified)
        }
        return statistics
    }

    /// Deletes every ticket last written before `cutoff` (seconds since 1970, with fractions), and temporary files that old. A
    /// deleted ticket is rendered again from the ledger when it is next downloaded, so nothing is lost.
    /// - Throws: ``TicketArchiveError`` when a directory cannot be read.
    public func deleteFiles(modifiedBefore cutoff: Double) throws(TicketArchiveError) -> CleanupResult {
        var result = CleanupResult()
        try self.forEachFile { path, name, status in
            let modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
            // Only what the archive writes: a file of anyone else's in the directory stays, whatever its age.
            let isTicket = name.hasSuffix(".pdf")
            guard isTicket || name.hasSuffix(".tmp"), modified < cutoff, unlink(path) == 0 else { return }
            if isTicket {
                result.deleted += 1
                result.freedBytes += Int(status.st_size)
            } else {
                result.abandonedTemporaryFiles += 1
            }
        }
        return result
    }

    /// Calls `body` with the path, name and status of every regular file in every shard directory.
    private func forEachFile(_ body: (String, String, stat) -> Void) throws(TicketArchiveError) {
        let shards = try Self.entries(of: self.root)
        for shard in shards where shard.utf8.count == 2 {
            let directory = "\(self.root)/\(shard)"
            for name in try Self.entries(of: directory) {
                let path = "\(directory)/\(name)"
                var status = stat()
                guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
                body(path, name, status)
            }
        }
    }

    /// The names in a directory, without `.` and `..`; none when it does not exist.
    private static func entries(of directory: String) throws(TicketArchiveError) -> [String] {
        guard let handle = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw TicketArchiveError(operation: "list", path: directory, errno: errno)
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }
}
