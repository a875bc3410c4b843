/// How many HTTP connections the server holds open at once, derived from the process's open-files limit.
///
/// Every connection costs a file descriptor, and so does much else: Redis connections, the log file, PDF files,
/// the event loops' own descriptors, and libdispatch, which opens `/proc/<tid>/stat` once a second while work
/// waits for a thread and traps (SIGILL) when that `open` fails. A server that accepts until the descriptors run
/// out therefore dies under a flood of connections. Kept below the limit by a reserve, it stops accepting
/// instead: further connections wait in the listen backlog until one closes.
public enum ConnectionLimit {
    /// Descriptors kept for everything but HTTP connections, at the least.
    public static let minimumReserve = 64

    /// The connections to accept at most under an open-files limit of `openFiles`: the limit less a reserve of
    /// one sixteenth of it, and at least ``minimumReserve``; never less than 1.
    public static func maxConnections(openFiles: UInt64) -> Int {
        let limit = Int(clamping: openFiles)
        let reserve = max(Self.minimumReserve, limit / 16)
        return max(1, limit - reserve)
    }
}
