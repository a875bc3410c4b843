import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Tracing

/// Sends the spans that end to the collector, a batch at a time: whenever a batch is full and at least every
/// schedule delay, and everything still queued on graceful shutdown, unless an export then fails; cancelled, it
/// stops at once. Run it beside the
/// server (a ServiceLifecycle service) for as long as the tracer is in use.
///
/// An export that fails is logged and its spans are lost: the collector may be down, and sales never wait for it.
/// Failures and dropped spans are logged when they start and when they stop, not per batch.
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
            timeout: self.configuration.timeout,
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
        var drops = DropReport()
        while true {
            await self.buffer.waitForBatch()
            // Full batches go back to back while spans keep coming, then what is left.
            var batch = self.buffer.take()
            while true {
                drops.note(batch.dropped, logger: self.logger)
                guard !batch.spans.isEmpty, !Task.isCancelled else { break }
                let ok = await self.export(batch.spans, client: client)
                if ok == failing {
                    failing.toggle()
                    if failing {
                        self.logger.warning("tracing: export failed, spans lost until it succeeds", metadata: ["endpoint": "\(client.endpoint)"])
                    } else {
                        self.logger.notice("tracing: export succeeds again", metadata: ["endpoint": "\(client.endpoint)"])
                    }
                }
                // Stopping, the exporter sends what is queued while the collector takes it; one failure ends it, so
                // that a collector that hangs holds the stop for one timeout, not one per batch.
                if batch.closed, !ok {
                    self.logger.notice("tracing: stopping without sending the spans still queued: the collector did not take the last export")
                    return
                }
                guard batch.spans.count == self.buffer.batchSize || batch.closed else { break }
                batch = self.buffer.take()
            }
            if batch.closed, batch.spans.isEmpty || Task.isCancelled { return }
        }
    }

    /// Sends `spans`; whether the collector took them.
    private func export(_ spans: [FinishedSpan], client: OTLPHTTPClient) async -> Bool {
        let body = OTLPTraceRequest.encode(spans, resource: self.configuration.resource, scope: "ticketd")
        do {
            let status = try await client.post(body)
            guard (200..<300).contains(status.code) else {
                self.logger.debug("tracing: collector refused an export", metadata: ["status": "\(status.code)", "spans": "\(spans.count)"])
                return false
            }
            return true
        } catch {
            self.logger.debug("tracing: export failed", metadata: ["error": "\(error)", "spans": "\(spans.count)"])
            return false
        }
    }
}
