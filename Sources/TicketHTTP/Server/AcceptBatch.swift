import Logging
import NIOCore

/// Accepting connections in batches: how many the listening socket takes per wake-up of its event loop.
///
/// Hummingbird hands accepted connections to one accept-loop task through an async sequence that stops reading the
/// listening socket once 10 connections wait in it, and reads again only after that task, scheduled on the same
/// global executor as every request, has taken them. With thousands of requests in flight the task waits its turn
/// for hundreds of milliseconds each time, and at NIO's default of 4 accepts per read the server took in some 250
/// connections a second: measured with wrk at 5000 connections, the last of them were accepted 14 s into the run,
/// and wrk counted those that waited over 10 s as timeouts. With a batch per read (``ConnectionLimit/acceptsPerRead(openFiles:)``,
/// 256 under the usual limits) each turn of the accept loop takes in a whole batch.
public enum AcceptBatch {
    /// Sets the accepts per read of the listening socket `serverChannel`; a failure is logged, and the server goes
    /// on with NIO's default.
    public static func configure(_ serverChannel: any Channel, connectionsPerRead: Int, logger: Logger) async {
        do {
            try await serverChannel.setOption(ChannelOptions.maxMessagesPerRead, value: UInt(max(1, connectionsPerRead))).get()
        } catch {
            logger.warning("cannot raise the accepts per read of the listening socket", metadata: ["error": "\(error)"])
        }
    }
}
