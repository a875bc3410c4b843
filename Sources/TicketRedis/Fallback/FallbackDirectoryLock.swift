#if canImport(Glibc)
import Glibc
#endif

/// An exclusive hold on a fallback directory (`FALLBACK_DIR`) for as long as the value lives: `flock` on its
/// `lock` file, which the kernel releases when the process ends, however it ends.
///
/// Two instances on one directory would share one instance id, so one escrow, and each sell it during an outage:
/// black-box testing had two servers started from the same working directory (the default `./data`) sell the same
/// three tickets each. The second one now refuses to start.
public final class FallbackDirectoryLock: Sendable {
    private let descriptor: Int32

    /// Takes the hold on `directory` (which must exist), without waiting.
    /// - Throws: ``FallbackStorageError`` when another process holds it, or the lock file cannot be opened.
    public init(directory: String) throws(FallbackStorageError) {
        let path = directory + "/lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FallbackStorageError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? nil : String(cString: strerror(errno))
            close(descriptor)
            throw FallbackStorageError(
                reason.map { "cannot lock \(path): \($0)" }
                    ?? "FALLBACK_DIR \(directory) is in use by another ticketd: each instance needs a directory (and an INSTANCE_ID) of its own"
            )
        }
        self.descriptor = descriptor
    }

    deinit { close(self.descriptor) }
}
