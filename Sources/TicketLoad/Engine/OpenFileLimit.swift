#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-files limit: every connection costs a file descriptor, and the usual soft limit of 1024
/// is far below 15,000 buyers.
enum OpenFileLimit {
    /// Descriptors kept for everything but the buyers' connections (event loops, probes, the output files).
    static let reserve: UInt64 = 64

    /// Raises the soft limit to the hard limit when `connections` need more than the soft limit.
    /// - Returns: The soft limit now in force.
    /// - Throws: ``LoadError/fileLimit(_:)`` saying what to change when the hard limit is too low or the system
    ///   refuses.
    @discardableResult
    static func ensureRoom(forConnections connections: Int) throws(LoadError) -> UInt64 {
        let needed = UInt64(connections) + Self.reserve
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else {
            throw .fileLimit("cannot read the open-files limit: \(String(cString: strerror(errno)))")
        }
        if UInt64(limit.rlim_cur) >= needed { return UInt64(limit.rlim_cur) }
        guard UInt64(limit.rlim_max) >= needed else {
            throw .fileLimit(
                "\(connections) connections need about \(needed) open files, but the hard limit is \(limit.rlim_max); "
                    + "raise it (as root: `ulimit -Hn \(needed)`, or `prlimit --nofile=\(needed):\(needed)`) or ask for fewer connections"
            )
        }
        let soft = limit.rlim_cur
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(Self.resource, &limit) == 0 else {
            throw .fileLimit(
                "\(connections) connections need about \(needed) open files; the soft limit is \(soft) and the system refused to "
                    + "raise it to the hard limit \(limit.rlim_max): \(String(cString: strerror(errno)))"
            )
        }
        return UInt64(limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
