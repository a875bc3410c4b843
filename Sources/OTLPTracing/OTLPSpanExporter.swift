import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Tracing

/// Sends the spans that end to the collector, a batch at a time: whenever a batch is full and at least every
/// schedule delay, and on graceful shutdown what is still queued, for one export timeout from the shutdown at most
/// and while exports succeed; cancelled, it stops at once. Run it beside the server (a ServiceLifecycle service) for
/// as long as the tracer is in use.
///
/// An export that fails is logged and its spans are lost: the collector may be down, and sales never wait for it.
/// Failures and dropped spans are logged when they start and when they stop, not per batch (drops are counted every
/// ``dropReportInterval``).
///
/// It runs on a thread of its own (``ExporterThread``), so that exports keep up with a busy server.
public struct OTLPSpanExporter: Service {
    private let buffer: SpanBuffer
    private let configuration: OTLPTracingConfiguration
    private let logger: Logger

    /// The exporter of `tracer`'s spans, as `configuration` says; it reports trouble on `logger`.
    public init(tracer: OTLPTracer, configuration: OTLPTracingConfiguration, logger: Logger) {
        self.buffer = tracer.buffer
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async {
        let thread = ExporterThread()
        let client = OTLPHTTPClient(
            endpoint: self.configuration.endpoint,
            headers: self.configuration.headers,
            group: thread.eventLoop
        )
        await withTaskExecutorPreference(thread) {
            await self.run(client: client)
        }
        await thread.shutdown()
    }

    private func run(client: OTLPHTTPClient) async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                // The schedule: wakes the exporter every delay, until the export loop below ends.
                while (try? await Task.sleep(for: self.configuration.scheduleDelay)) != nil { self.buffer.wake() }
            }
            group.addTask { await self.reportDrops() }
            // Graceful shutdown sends what is queued; cancellation stops at once, sending nothing more.
            await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    await self.exportUntilClosed(client: client)
                } onGracefulShutdown: {
                    self.buffer.close()
                }
            } onCancel: {
                self.buffer.close()
            }
            group.cancelAll()
        }
    }

    private func exportUntilClosed(client: OTLPHTTPClient) async {
        var failing = false
        while true {
            await self.buffer.waitForBatch()
            // Full batches go back to back while spans keep coming, then what is left.
            var batch = self.buffer.take()
            while true {
                guard !batch.spans.isEmpty, !Task.isCancelled else { break }
                var timeout = self.configuration.timeout
                if let closedAt = batch.closedAt {
                    // Stopping, the exporter sends what is queued for one export timeout from the stop at most, and
                    // not after a failure: a collector that hangs or crawls must not hold the process's exit.
                    timeout = closedAt + self.configuration.timeout - .now
                    guard !failing, timeout > .zero else {
                        self.logger.warning(
                            "tracing: stopping without sending the spans still queued: the collector failed an export, or the stop's export timeout ran out",
                            metadata: ["spans_unsent": "\(batch.spans.count + self.buffer.discardQueued())"]
                        )
                        return
                    }
                }
                let failure = await self.export(&batch.spans, client: client, timeout: timeout)
                if (failure == nil) == failing {
                    failing.toggle()
                    if let failure {
                        self.logger.warning(
                            "tracing: export failed, spans lost until it succeeds",
                            metadata: ["endpoint": "\(client.endpoint)", "error": "\(failure)"]
                        )
                    } else {
                        self.logger.notice("tracing: export succeeds again", metadata: ["endpoint": "\(client.endpoint)"])
                    }
                }
                guard batch.spans.count == self.buffer.batchSize || batch.closedAt != nil else { break }
                batch = self.buffer.take()
            }
            if batch.closedAt != nil, batch.spans.isEmpty || Task.isCancelled { return }
        }
    }

    /// How often dropped spans are counted and reported.
    static let dropReportInterval: Duration = .seconds(5)

    /// Logs the spans that the full queue drops every ``dropReportInterval``, and once more when cancelled (the
    /// exporter stops). Apart from the exports, so that an export that hangs does not hold the report back, and a
    /// queue that fills and drains batch by batch does not make a line per batch.
    private func reportDrops() async {
        var report = DropReport()
        while (try? await Task.sleep(for: Self.dropReportInterval)) != nil {
            report.note(self.buffer.takeDropped(), logger: self.logger)
        }
        report.note(self.buffer.takeDropped(), logger: self.logger)
        report.finish(logger: self.logger)
    }

    /// Sends `spans`, waiting `timeout` at most, and gives their storage back to the buffer (their bytes are gone
    /// after, their count stays).
    /// - Returns: Why the collector did not take them (its status, or the connection's error), `nil` when it did.
    private func export(_ spans: inout SpanBuffer.EncodedSpans, client: OTLPHTTPClient, timeout: Duration) async -> String? {
        let body = OTLPTraceRequest.encode(spans, resource: self.configuration.resource, scope: "ticketd")
        self.buffer.reuse(&spans.bytes)
        do {
            let status = try await client.post(body, timeout: timeout)
            guard (200..<300).contains(status.code) else {
                self.logger.debug("tracing: collector refused an export", metadata: ["status": "\(status.code)", "spans": "\(spans.count)"])
                return "the collector answered \(status.code) \(status.reasonPhrase)"
            }
            return nil
        } catch {
            self.logger.debug("tracing: export failed", metadata: ["error": "\(error)", "spans": "\(spans.count)"])
            return "\(error)"
        }
    }
}
