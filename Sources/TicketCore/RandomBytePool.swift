import Crypto
import Synchronization

/// Cryptographically secure random bytes, read from the kernel a block at a time and handed out in small pieces.
///
/// swift-crypto's random keys make a `getrandom` system call each: for a 16-byte purchase id that was about 1 % of
/// the server's CPU under load. Here one call fills a block of ``blockSize`` bytes, and each byte of it is handed
/// out once, so the bytes are the kernel's generator's as before, at a 256th of the calls. (A process that forked
/// would share the unread block with its child; ticketd starts other programs only through `exec`.)
final class RandomBytePool: Sendable {
    /// Bytes read from the kernel at once.
    static let blockSize = 4096

    /// The pool of the process.
    static let shared = RandomBytePool()

    private let state = Mutex(State())

    private struct State {
        var block: [UInt8] = []
        /// How many bytes of `block` have been handed out.
        var used = 0
    }

    /// Calls `body` with `count` random bytes (at most ``blockSize``) that no other caller is given.
    func withBytes<Result: Sendable>(_ count: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        precondition(count <= Self.blockSize, "at most \(Self.blockSize) random bytes at once")
        return self.state.withLock { state in
            if state.block.count - state.used < count {
                state.block = SymmetricKey(size: SymmetricKeySize(bitCount: Self.blockSize * 8)).withUnsafeBytes { Array($0) }
                state.used = 0
            }
            defer { state.used += count }
            return state.block.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[state.used..<state.used + count])) }
        }
    }
}
