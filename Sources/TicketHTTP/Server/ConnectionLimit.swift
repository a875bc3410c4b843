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
        max(1, Int(clamping: openFiles) - Self.reserve(openFiles: openFiles))
    }

    /// Connections accepted per read of the listening socket under an open-files limit of `openFiles` (see
    /// ``AcceptBatch``): up to 256, but at most half the reserve and at most ``maxConnections(openFiles:)``,
    /// because the limit stops reads, not single accepts, so one read may take a whole batch past it.
    public static func acceptsPerRead(openFiles: UInt64) -> Int {
        max(1, min(256, Self.reserve(openFiles: openFiles) / 2, Self.maxConnections(openFiles: openFiles)))
    }

    /// The descriptors kept for everything but HTTP connections.
    private static func reserve(openFiles: UInt64) -> Int {
        max(Self.minimumReserve, Int(clamping: openFiles) / 16)
    }
}
