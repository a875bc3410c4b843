import NIOCore
import NIOPosix

/// A thread of the exporter's own: a one-thread NIO event loop that runs both the exporter's tasks (as their
/// preferred task executor) and its connections to the collector.
///
/// On the shared executors an export waited its turn behind every request: at 5000 connections each of its dozen
/// hops (wake, connect, write, answer) queued behind thousands of request jobs and channel reads, an export of 512
/// spans took a few hundred milliseconds, and the exporter sent some 2,400 spans a second while a fully sampled
/// server made 20,000: the rest overflowed the queue. A thread of its own is scheduled by the kernel beside the
/// busy ones and is runnable only while it has an export to make.
final class ExporterThread: TaskExecutor {
    /// The event loop; the exporter's connections use it too.
    let eventLoop: any EventLoop
    private let group: MultiThreadedEventLoopGroup

    /// Starts the thread; call ``shutdown()`` when the exporter is done with it.
    init() {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.eventLoop = self.group.next()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = self.asUnownedTaskExecutor()
        self.eventLoop.execute { job.runSynchronously(on: executor) }
    }

    /// Stops the thread once the work queued on it has run.
    func shutdown() async {
        try? await self.group.shutdownGracefully()
    }
}
