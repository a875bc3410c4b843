#if canImport(Glibc)
import Glibc
#endif

/// Scheduling of the background render threads.
enum ThreadPriority {
    /// Linux's `SCHED_IDLE` (`<bits/sched.h>`; not visible to Swift without `_GNU_SOURCE`).
    private static let schedIdle: Int32 = 5

    /// Puts the calling thread in Linux's `SCHED_IDLE` class: it runs only when no normal thread (event loops,
    /// Redis) wants the CPU, so background rendering yields to sales under load and catches up when they slow down.
    /// Idempotent and cheap; a thread cannot raise itself back, so call it only on threads reserved for such work.
    static func yieldToEverythingElse() {
        var parameters = sched_param()
        parameters.sched_priority = 0
        // Failure (a platform without SCHED_IDLE) leaves the thread at normal priority: slower sales, no harm done.
        _ = sched_setscheduler(0, Self.schedIdle, &parameters)
    }
}
