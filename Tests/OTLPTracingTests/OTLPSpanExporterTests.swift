import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing
import Tracing

@testable import OTLPTracing

@Suite struct OTLPSpanExporterTests {
    static func configuration(port: Int, batch: Int, queue: Int = 2048, delay: String = "3600000") throws -> OTLPTracingConfiguration {
        try #require(
            try OTLPTracingConfiguration(
                environment: [
                    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(port)",
                    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "\(batch)",
                    "OTEL_BSP_MAX_QUEUE_SIZE": "\(queue)",
                    "OTEL_BSP_SCHEDULE_DELAY": delay,
                    "OTEL_EXPORTER_OTLP_TIMEOUT": "2000",
                ],
                serviceName: "ticketd-tests"
            )
        )
    }

    /// The spans in an export request's body.
    static func spanNames(_ body: [UInt8]) -> [String] {
        let scopeSpans = ProtobufFields(body)?[1].first?.message?[2].first?.message
        return scopeSpans?[2].compactMap { $0.message?[5].first?.string } ?? []
    }

    @Test func aFullBatchIsSentWithoutWaitingForTheSchedule() async throws {
        let collector = try await FakeCollector.start()
        let configuration = try Self.configuration(port: collector.port, batch: 2)
        let tracer = OTLPTracer(configuration: configuration)
        let exporter = OTLPSpanExporter(tracer: tracer, configuration: configuration, logger: Logger(label: "test"))
        try await testGracefulShutdown { shutdown in
            async let running: Void = exporter.run()
            tracer.startSpan("first", context: .topLevel, ofKind: .internal).end()
            tracer.startSpan("second", context: .topLevel, ofKind: .internal).end()
            var requests = collector.requests.makeAsyncIterator()
            let request = try #require(await requests.next())
            #expect(request.path == "/v1/traces")
            #expect(Self.spanNames(request.body) == ["first", "second"])
            shutdown.triggerGracefulShutdown()
            await running
        }
        try await collector.stop()
    }

    @Test func anExportIsPostedToTheEndpointsPathWithItsQuery() async throws {
        let collector = try await FakeCollector.start()
        let configuration = try #require(
            try OTLPTracingConfiguration(
                environment: [
                    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(collector.port)/otlp?tenant=ticketd",
                    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1",
                ],
                serviceName: "ticketd-tests"
            )
        )
        let tracer = OTLPTracer(configuration: configuration)
        let exporter = OTLPSpanExporter(tracer: tracer, configuration: configuration, logger: Logger(label: "test"))
        try await testGracefulShutdown { shutdown in
            async let running: Void = exporter.run()
            tracer.startSpan("queried", context: .topLevel, ofKind: .internal).end()
            var requests = collector.requests.makeAsyncIterator()
            let request = try #require(await requests.next())
            #expect(request.path == "/otlp/v1/traces?tenant=ticketd")
            #expect(Self.spanNames(request.body) == ["queried"])
            shutdown.triggerGracefulShutdown()
            await running
        }
        try await collector.stop()
    }

    @Test func shutdownSendsWhatIsStillQueued() async throws {
        let collector = try await FakeCollector.start()
        let configuration = try Self.configuration(port: collector.port, batch: 2)
        let tracer = OTLPTracer(configuration: configuration)
        let exporter = OTLPSpanExporter(tracer: tracer, configuration: configuration, logger: Logger(label: "test"))
        await testGracefulShutdown { shutdown in
            async let running: Void = exporter.run()
            for index in 0..<5 { tracer.startSpan("span \(index)", context: .topLevel, ofKind: .internal).end() }
            shutdown.triggerGracefulShutdown()
            await running
        }
        try await collector.stop()
        var names: [String] = []
        for await request in collector.requests { names += Self.spanNames(request.body) }
        #expect(names == (0..<5).map { "span \($0)" })
    }

    @Test(.timeLimit(.minutes(1))) func cancellingTheExporterStopsItAtOnce() async throws {
        let collector = try await FakeCollector.start()
        let configuration = try Self.configuration(port: collector.port, batch: 100)
        let tracer = OTLPTracer(configuration: configuration)
        let exporter = OTLPSpanExporter(tracer: tracer, configuration: configuration, logger: Logger(label: "test"))
        let running = Task { await exporter.run() }
        tracer.startSpan("queued", context: .topLevel, ofKind: .internal).end()
        running.cancel()
        await running.value
        try await collector.stop()
        var exports = 0
        for await _ in collector.requests { exports += 1 }
        #expect(exports == 0, "a cancelled exporter sends nothing more")
    }

    /// Spans dropped while one full batch follows another, the exporter never idle, are reported too.
    @Test(.timeLimit(.minutes(1))) func spansDroppedWhileAnExportWaitsAreLogged() async throws {
        let collector = try await FakeCollector.start(holdingAnswers: true)
        let configuration = try Self.configuration(port: collector.port, batch: 2, queue: 2)
        let tracer = OTLPTracer(configuration: configuration)
        let logs = LogLines()
        let exporter = OTLPSpanExporter(tracer: tracer, configuration: configuration, logger: Logger(label: "test") { _ in logs })
        var names: [String] = []
        try await testGracefulShutdown { shutdown in
            async let running: Void = exporter.run()
            var requests = collector.requests.makeAsyncIterator()
            for name in ["a", "b"] { tracer.startSpan(name, context: .topLevel, ofKind: .internal).end() }
            names += Self.spanNames(try #require(await requests.next()).body)
            // The first export waits for its answer: two spans fill the queue, three more are dropped.
            for name in ["c", "d", "e", "f", "g"] { tracer.startSpan(name, context: .topLevel, ofKind: .internal).end() }
            collector.releaseAnswers()
            names += Self.spanNames(try #require(await requests.next()).body)
            shutdown.triggerGracefulShutdown()
            await running
        }
        try await collector.stop()
        #expect(names == ["a", "b", "c", "d"])
        #expect(logs.entries.map(\.message) == ["tracing: span queue full, dropping spans"])
        #expect(logs.entries.first?.metadata["spans_dropped"] == "3")
    }

    /// A collector that takes connections but never answers holds a stop for one export's timeout, not one per
    /// batch still queued.
    @Test(.timeLimit(.minutes(1))) func aStopGivesUpAfterOneExportTheCollectorDoesNotTake() async throws {
        let logs = LogLines()
        let exports = try await Self.exportsTriedStoppingWithThreeBatches(to: FakeCollector.start(holdingAnswers: true), logs: logs)
        #expect(exports == 1, "three batches queued, one export tried")
        let notice = logs.entries.first { $0.message.hasPrefix("tracing: stopping without sending") }
        #expect(notice?.metadata["spans_unsent"] == "2", "the two batches after the one that failed")
    }

    /// A collector that answers each export in time, but slowly, holds a stop for one export timeout at most, not
    /// one answer per batch queued.
    @Test(.timeLimit(.minutes(1))) func aStopSendsForOneExportTimeoutAtMost() async throws {
        let exports = try await Self.exportsTriedStoppingWithThreeBatches(to: FakeCollector.start(answerDelay: .milliseconds(1_500)))
        #expect(exports < 3, "three batches of 1.5 s each do not fit in the 2 s timeout")
    }

    /// The exports that `collector` received from an exporter started after its shutdown with three batches of one
    /// span queued (export timeout 2 s).
    static func exportsTriedStoppingWithThreeBatches(to collector: FakeCollector, logs: LogLines = LogLines()) async throws -> Int {
        let configuration = try Self.configuration(port: collector.port, batch: 1)
        let tracer = OTLPTracer(configuration: configuration)
        let exporter = OTLPSpanExporter(tracer: tracer, configuration: configuration, logger: Logger(label: "test") { _ in logs })
        await testGracefulShutdown { shutdown in
            for index in 0..<3 { tracer.startSpan("span \(index)", context: .topLevel, ofKind: .internal).end() }
            shutdown.triggerGracefulShutdown()
            await exporter.run()
        }
        try await collector.stop()
        var exports = 0
        for await _ in collector.requests { exports += 1 }
        return exports
    }

    @Test(arguments: [false, true]) func aCollectorThatIsDownOrRefusesCostsSpansAndIsLoggedOnce(refuses: Bool) async throws {
        let collector = try await FakeCollector.start(status: .serviceUnavailable)
        let port = collector.port
        if !refuses { try await collector.stop() }
        let configuration = try Self.configuration(port: port, batch: 1)
        let tracer = OTLPTracer(configuration: configuration)
        let logs = LogLines()
        let exporter = OTLPSpanExporter(tracer: tracer, configuration: configuration, logger: Logger(label: "test") { _ in logs })
        await testGracefulShutdown { shutdown in
            async let running: Void = exporter.run()
            for index in 0..<3 { tracer.startSpan("span \(index)", context: .topLevel, ofKind: .internal).end() }
            shutdown.triggerGracefulShutdown()
            await running
        }
        if refuses { try await collector.stop() }
        #expect(logs.messages.filter { $0.contains("export failed") } == ["tracing: export failed, spans lost until it succeeds"])
        // The warning says why: before, it named the endpoint only.
        let error = logs.entries.first { $0.message.contains("export failed") }?.metadata["error"]?.description ?? ""
        #expect(refuses ? error == "the collector answered 503 Service Unavailable" : !error.isEmpty, "\(error)")
    }
}

/// Keeps the messages logged at warning and above, with their metadata.
final class LogLines: LogHandler, Sendable {
    private let lines = Mutex<[(message: String, metadata: Logger.Metadata)]>([])
    var entries: [(message: String, metadata: Logger.Metadata)] { self.lines.withLock { $0 } }
    var messages: [String] { self.entries.map(\.message) }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .warning }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        self.lines.withLock { $0.append((event.message.description, event.metadata ?? [:])) }
    }
}
