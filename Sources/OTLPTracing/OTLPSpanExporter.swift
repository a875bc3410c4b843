import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Tracing

/// Sends the spans that end to the collector, a batch at a time: whenever a batch is full and at least every
/// schedule delay, and everything still queued on graceful shutdown; cancelled, it stops at once. Run it beside the
/// server (a ServiceLifecycle service) for as long as the tracer is in use.
///
/// An export that fails is logged and its spans are lost: the collector may be down, and sales never wait for it.
/// Failures and dropped spans are logged when they start and when they stop, not per batch.
public struct OTLPSpanExporter: Service {
    private let buffer: SpanBuffer
    private let client: OTLPHTTPClient
    private let resource: [(key: String, value: SpanAttribute)]
    private let scheduleDelay: Duration
    private let logger: Logger

    /// The exporter of `tracer`'s spans, as `configuration` says; it reports trouble on `logger`.
    public init(tracer: OTLPTracer, configuration: OTLPTracingConfiguration, logger: Logger) {
        self.buffer = tracer.buffer
        self.client = OTLPHTTPClient(
            endpoint: configuration.endpoint,
            headers: configuration.headers,
            timeout: configuration.timeout,
            group: MultiThreadedEventLoopGroup.singleton
        )
        self.resource = configuration.resource
        self.scheduleDelay = configuration.scheduleDelay
        self.logger = logger
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                // The schedule: wakes the exporter every delay, until the export loop below ends.
                while (try? await Task.sleep(for: self.scheduleDelay)) != nil { self.buffer.wake() }
            }
            // Graceful shutdown sends what is queued; cancellation stops at once, sending nothing more.
            await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    await self.exportUntilClosed()
                } onGracefulShutdown: {
                    self.buffer.close()
                }
            } onCancel: {
                self.buffer.close()
            }
            group.cancelAll()
        }
    }

    private func exportUntilClosed() async {
        var failing = false
        var dropping = false
        while true {
            await self.buffer.waitForBatch()
            var batch = self.buffer.take()
            if (batch.dropped > 0) != dropping {
                dropping.toggle()
                if dropping {
                    self.logger.warning("tracing: span queue full, dropping spans", metadata: ["spans_dropped": "\(batch.dropped)"])
                } else {
                    self.logger.notice("tracing: span queue has room again")
                }
            }
            while !batch.spans.isEmpty, !Task.isCancelled {
                let ok = await self.export(batch.spans)
                if ok == failing {
                    failing.toggle()
                    if failing {
                        self.logger.warning("tracing: export failed, spans lost until it succeeds", metadata: ["endpoint": "\(self.client.endpoint)"])
                    } else {
                        self.logger.notice("tracing: export succeeds again", metadata: ["endpoint": "\(self.client.endpoint)"])
                    }
                }
                guard batch.spans.count == self.buffer.batchSize || batch.closed else { break }
                batch = self.buffer.take()
            }
            if batch.closed, batch.spans.isEmpty || Task.isCancelled { return }
        }
    }

    /// Sends `spans`; whether the collector took them.
    private func export(_ spans: [FinishedSpan]) async -> Bool {
        let body = OTLPTraceRequest.encode(spans, resource: self.resource, scope: "ticketd")
        do {
            let status = try await self.client.post(body)
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
