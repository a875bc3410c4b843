import Foundation
import TicketCore

/// Blocking file operations that have reached the disk when they return (`fsync`).
///
/// Every function blocks the calling thread: call them on a thread pool (``FallbackFiles`` does), never on an
/// event loop.
enum DurableFile {
    /// Appends `bytes` to the file at `path` (created if missing) and `fsync`s it.
    static func append(_ bytes: [UInt8], to path: String) throws(FallbackStorageError) {
        try Self.writeDurably(bytes, to: path, flags: O_APPEND)
    }

    /// Replaces the file at `path` with `bytes` atomically: a temporary file, `fsync`, `rename`, `fsync` of the
    /// directory. A crash leaves the old content or the new one, never a mix.
    static func replace(_ path: String, with bytes: [UInt8]) throws(FallbackStorageError) {
        let temporary = path + ".tmp"
        try Self.writeDurably(bytes, to: temporary, flags: O_TRUNC)
        guard rename(temporary, path) == 0 else { throw Self.failure("rename", temporary) }
        let directory = (path as NSString).deletingLastPathComponent
        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw Self.failure("open", directory) }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw Self.failure("fsync", directory) }
    }

    /// Opens `path` (created if missing) with `flags`, writes `bytes` and `fsync`s.
    private static func writeDurably(_ bytes: [UInt8], to path: String, flags: Int32) throws(FallbackStorageError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0o644)
        guard descriptor >= 0 else { throw Self.failure("open", path) }
        defer { close(descriptor) }
        try Self.writeAll(bytes, to: descriptor, path: path)
        guard fsync(descriptor) == 0 else { throw Self.failure("fsync", path) }
    }

    /// The file's content, or `nil` when there is no file at `path`.
    static func read(_ path: String) throws(FallbackStorageError) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw Self.failure("read", path) }
        return [UInt8](data)
    }

    /// Creates the directory at `path` and its parents when missing.
    static func makeDirectory(_ path: String) throws(FallbackStorageError) {
        do {
            try Directories.create(path)
        } catch {
            throw FallbackStorageError(error.errno == ENOTDIR ? error.reason : "cannot create the directory \(error.path): \(error.reason)")
        }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(FallbackStorageError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress!.advanced(by: offset), buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.failure("write", path)
            }
            offset += written
        }
    }

    private static func failure(_ operation: String, _ path: String) -> FallbackStorageError {
        FallbackStorageError("\(operation) \(path) failed: \(String(cString: strerror(errno)))")
    }
}
