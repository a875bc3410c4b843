#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open files: each HTTP connection costs one, so 5000 buyers need more than the usual 1024.
public enum FileDescriptorLimit {
    /// Raises the soft limit to the hard limit and returns `(before, after)`; `nil` when the system refuses.
    public static func raiseToHardLimit() -> (before: UInt64, after: UInt64)? {
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else { return nil }
        let before = UInt64(limit.rlim_cur)
        guard limit.rlim_cur < limit.rlim_max else { return (before, before) }
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(Self.resource, &limit) == 0 else { return nil }
        return (before, UInt64(limit.rlim_cur))
    }

    /// The current (soft) limit; `nil` when the system does not say.
    public static func current() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else { return nil }
        return UInt64(limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
