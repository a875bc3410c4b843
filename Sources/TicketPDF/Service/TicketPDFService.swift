import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TicketCore
import Tracing

/// PDF tickets, off the purchase path: a bounded pool of render threads works through the purchases that have no
/// ticket yet, and downloads render on demand what the background has not reached.
///
/// - A sale calls ``ticketSold(_:)``, which only queues the purchase (a lock and an append) and never waits; the
///   purchase has already been answered or is about to be.
/// - ``run()`` drains the queue with `workers` renders at a time on threads of their own, in Linux's `SCHED_IDLE`
///   class: under load the event loops and Redis get the CPU first and the backlog grows; it shrinks when sales slow.
/// - The backlog survives a crash: on start, and whenever the queue overflowed, the ledger is scanned (`HSCAN`, a page
///   at a time) for purchases without a file, and those are rendered, fresh sales first.
/// - ``ticket(for:)`` serves a download: the file, or a render on a separate, normal-priority pool.
/// - Tracing: a background render is a span `render ticket PDF` in the trace of the request that sold the ticket
///   (a child of its span, started when a render thread gets to it) when that span records; renders of untraced
///   sales and those found by a ledger scan are not traced.
///
/// The service must be running (add it to the application's services) for anything to be rendered in the
/// background; its thread pools start at creation and stop when ``run()`` ends.
///
/// ```swift
/// let tickets = try TicketPDFService(configuration: TicketPDFConfiguration(reader: reader), signingKey: key, store: store, logger: logger)
/// app.addServices(tickets, TicketCleanupService(tickets: tickets, logger: logger))
/// ```
public final class TicketPDFService: Service, Sendable {
    /// The name of the render duration histogram, to give it buckets around a millisecond.
    public static let renderDurationMetric = TicketPDFMetrics.renderDurationName

    /// What the service reads: events for the ticket's header, the ledger for lookups and scans.
    public typealias Store = TicketStore & PurchaseLedger

    /// The configuration in use.
    public let configuration: TicketPDFConfiguration
    /// Where tickets are stored.
    public let archive: TicketArchive
    /// Checks tokens against the key and the ledger, for `POST /tickets/verify`.
    public let verifier: TicketVerifier

    private let renderer: TicketRenderer
    private let signingKey: TicketSigningKey
    private let store: any Store
    private let logger: Logger
    private let backlog: RenderBacklog
    /// Renders and failures so far (internal for the tests).
    let statistics = RenderStatistics()
    private let metrics = TicketPDFMetrics()
    private let renderingNow = Atomic<Int>(0)
    private let scanning = Atomic<Bool>(false)
    /// Tickets cannot be stored now (the last write failed): the ledger is scanned again every
    /// `storageRetryInterval` until one is, and the failure is logged once, not per ticket.
    private let storageFailing = Atomic<Bool>(false)
    /// Events as last read, for the tickets' headers; each kept for the configuration's `eventLifetime`.
    private let eventCache = Mutex<[EventID: (event: EventSnapshot, readAt: ContinuousClock.Instant)]>([:])
    /// Background renders, at idle priority; `nil` when `workers` is 0.
    private let backgroundPool: NIOThreadPool?
    /// Downloads, reads, cleanup and statistics, at normal priority.
    private let foregroundPool: NIOThreadPool

    /// Creates the service and starts its thread pools.
    /// - Throws: ``TicketRenderError`` when the configured fonts cannot be loaded.
    public init(configuration: TicketPDFConfiguration, signingKey: TicketSigningKey, store: any Store, logger: Logger) throws(TicketRenderError) {
        self.configuration = configuration
        self.archive = TicketArchive(root: configuration.outputDirectory)
        self.verifier = TicketVerifier(key: signingKey, ledger: store)
        self.renderer = try TicketRenderer(fonts: configuration.fonts)
        self.signingKey = signingKey
        self.store = store
        self.logger = logger
        self.backlog = RenderBacklog(capacity: configuration.backlogCapacity, scanFirst: configuration.workers > 0)
        self.backgroundPool = configuration.workers > 0 ? NIOThreadPool(numberOfThreads: configuration.workers) : nil
        self.foregroundPool = NIOThreadPool(numberOfThreads: 2)
        self.backgroundPool?.start()
        self.foregroundPool.start()
    }

    // MARK: Sales

    /// Queues a new purchase for its ticket; never waits. When the queue is full the purchase is left to the next
    /// ledger scan. When the caller's span records, its context goes with it, so the render is traced as part of
    /// the sale; an untraced sale's render is not traced either.
    public func ticketSold(_ purchase: Purchase) {
        guard self.backgroundPool != nil else { return }
        if !self.backlog.submit(TicketSale(purchase, origin: InstrumentationContext.recordingParent)) {
            self.logger.debug("render backlog full; the next ledger scan renders this ticket", metadata: ["purchase_id": "\(purchase.purchaseID)"])
        }
        self.metrics.recordBacklog(self.backlogCount)
    }

    /// The ledger's record of `purchase` changed (a fallback sale settled over Redis's own sale of the same
    /// purchase id): its ticket is rendered again now and replaces any file already rendered, which may show the
    /// other ticket. When that render fails the old file is deleted, so a download renders from the ledger.
    public func purchaseReplaced(_ purchase: Purchase) async {
        do {
            _ = try await self.render(purchase, on: self.foregroundPool, trigger: .onDemand)
            self.logger.notice(
                "purchase replaced in the ledger; its ticket is rendered again",
                metadata: ["purchase_id": "\(purchase.purchaseID)", "ticket_id": "\(purchase.ticketID)"]
            )
            return
        } catch {
            self.logger.warning(
                "cannot render a replaced purchase's ticket now; its old ticket is deleted",
                metadata: ["purchase_id": "\(purchase.purchaseID)", "error": "\(error)"]
            )
        }
        let archive = self.archive
        let removed = try? await self.onForegroundPool { () -> Result<Bool, TicketArchiveError> in
            Result { () throws(TicketArchiveError) in try archive.remove(purchase.purchaseID) }
        }
        if case .failure(let error) = removed {
            self.logger.error(
                "cannot delete the ticket of a replaced purchase",
                metadata: ["purchase_id": "\(purchase.purchaseID)", "error": "\(error)"]
            )
        }
    }

    // MARK: Service

    /// Renders the backlog until graceful shutdown; then lets the renders in progress finish and stops the threads.
    /// What is still queued is found again by the next start's ledger scan.
    public func run() async throws {
        if let backgroundPool = self.backgroundPool {
            self.logger.info("rendering PDF tickets in the background", metadata: ["workers": "\(self.configuration.workers)"])
            await cancelWhenGracefulShutdown {
                await self.dispatch(on: backgroundPool)
            }
            let left = self.backlog.count
            if left > 0 {
                self.logger.info(
                    "stopped rendering with tickets still queued; the next start's ledger scan renders them",
                    metadata: ["queued": "\(left)"]
                )
            }
        } else {
            self.logger.info("background rendering of PDF tickets is off; tickets render when first downloaded")
            try? await gracefulShutdown()
        }
        self.backlog.finish()
        try await self.backgroundPool?.shutdownGracefully()
        try await self.foregroundPool.shutdownGracefully()
    }

    /// Hands the backlog's work to at most `workers` renders at a time.
    private func dispatch(on pool: NIOThreadPool) async {
        await withTaskGroup(of: Void.self) { group in
            // While tickets cannot be stored, a scan every interval renders the ones that failed: before, they stayed
            // missing until a restart or a download (black-box testing filled the disk under 3,085 sales, freed it,
            // and 3,032 tickets never came).
            group.addTask {
                while (try? await Task.sleep(for: self.configuration.storageRetryInterval)) != nil {
                    if self.storageFailing.load(ordering: .relaxed) { self.backlog.requestScan() }
                }
            }
            defer { group.cancelAll() }
            var running = 0
            var failedScans = 0
            func launch(_ sale: TicketSale) async {
                if running >= self.configuration.workers {
                    await group.next()
                    running -= 1
                }
                running += 1
                group.addTask { await self.renderInBackground(sale, on: pool) }
            }
            while let work = await self.backlog.next() {
                switch work {
                case .render(let sale):
                    await launch(sale)
                case .scanLedger:
                    self.scanning.store(true, ordering: .relaxed)
                    defer { self.scanning.store(false, ordering: .relaxed) }
                    do {
                        try await self.scanLedger(launch: launch)
                        failedScans = 0
                    } catch {
                        // Cancelled, the service is stopping: nothing failed.
                        if Task.isCancelled { return }
                        // A first failure is often the stop of a server that could not start: its Redis client stops
                        // before this service is cancelled. A warning once the retry fails too.
                        failedScans += 1
                        self.logger.log(
                            level: failedScans > 1 ? .warning : .notice,
                            "ledger scan failed; retrying in 5 s",
                            metadata: ["error": "\(error)"]
                        )
                        guard (try? await Task.sleep(for: .seconds(5))) != nil else { return }
                        self.backlog.requestScan()
                    }
                }
            }
        }
    }

    /// Finds every purchase without a ticket, page by page, and renders it; queued sales go first after each page.
    private func scanLedger(launch: (TicketSale) async -> Void) async throws {
        self.eventCache.withLock { $0.removeAll() }
        let events = try await self.store.events()
        let archive = self.archive
        var found = 0
        for event in events {
            self.eventCache.withLock { $0[event.id] = (event, .now) }
            var cursor: LedgerPage.Cursor? = .start
            while let current = cursor {
                try Task.checkCancellation()
                let page = try await self.store.purchases(of: event.id, from: current)
                let missing = try await self.foregroundPool.runIfActive {
                    page.purchases.filter { !archive.contains($0.purchaseID) }
                }
                found += missing.count
                for purchase in missing { await launch(TicketSale(purchase)) }
                while let fresh = self.backlog.poll() { await launch(fresh) }
                cursor = page.next
            }
        }
        self.logger.info("ledger scanned for purchases without a ticket", metadata: ["events": "\(events.count)", "found": "\(found)"])
    }

    private func renderInBackground(_ sale: TicketSale, on pool: NIOThreadPool) async {
        self.renderingNow.add(1, ordering: .relaxed)
        defer {
            self.renderingNow.subtract(1, ordering: .relaxed)
            self.metrics.recordBacklog(self.backlogCount)
        }
        let purchase = sale.purchase
        guard let origin = sale.origin else {
            await self.renderInBackground(purchase, on: pool, span: nil)
            return
        }
        await withSpan("render ticket PDF", context: origin, ofKind: .consumer) { span in
            if span.isRecording {
                span.updateAttributes { attributes in
                    attributes[TraceAttribute.eventID] = purchase.eventID.rawValue
                    attributes[TraceAttribute.purchaseID] = purchase.purchaseID.rawValue
                }
            }
            await self.renderInBackground(purchase, on: pool, span: span)
        }
    }

    /// Renders and stores the ticket of `purchase`, recording the outcome on `span` when there is one.
    private func renderInBackground(_ purchase: Purchase, on pool: NIOThreadPool, span: (any Span)?) async {
        do {
            let rendered = try await self.render(purchase, on: pool, trigger: .background)
            if let span, span.isRecording, let rendered { span.attributes["ticketd.pdf.bytes"] = rendered.count }
        } catch {
            span?.recordError(error)
            span?.setStatus(SpanStatus(code: .error, message: "\(error)"))
            // A render cut short by a stop is not a failure: the next start's ledger scan finds the ticket missing. A
            // failure to store is logged by `noteStorage` once, not for every ticket.
            guard error.code != .storage else { return }
            // The store unreachable (a fallback sale during an outage) is a notice, as the outage's refused purchases
            // are: the ticket is rendered when it is downloaded, and nothing is lost. At error, an outage made an
            // error line per sale.
            let level: Logger.Level =
                switch error.code {
                case .shuttingDown: .debug
                case .storeUnavailable: .notice
                default: .error
                }
            self.logger.log(level: level, "could not render a ticket", metadata: ["purchase_id": "\(purchase.purchaseID)", "error": "\(error)"])
        }
    }

    // MARK: Downloads

    /// The ticket of `id`: the stored file, or one rendered (and stored) now. `nil` when the ledger has no such
    /// purchase.
    ///
    /// A stored file is served once the ledger confirms its purchase, or when the ledger cannot be read (Redis
    /// down): it was rendered from the ledger. One whose purchase the ledger no longer holds (its event was reset)
    /// is deleted: a reset event's tickets were served on for a day, until the cleanup deleted them.
    /// - Throws: ``TicketPDFError`` when the ledger or the archive cannot be read, or the ticket cannot be rendered.
    public func ticket(for id: PurchaseID) async throws(TicketPDFError) -> [UInt8]? {
        let archive = self.archive
        let stored = try await self.onForegroundPool { () -> Result<[UInt8]?, TicketArchiveError> in
            Result { () throws(TicketArchiveError) in try archive.read(id) }
        }
        let storedBytes: [UInt8]?
        switch stored {
        case .success(let bytes): storedBytes = bytes
        case .failure(let error):
            // An archive that cannot be read does not keep the ticket from its buyer: it is rendered from the ledger.
            self.logger.notice("a stored ticket cannot be read; rendering it again", metadata: ["purchase_id": "\(id)", "error": "\(error)"])
            storedBytes = nil
        }
        let purchase: Purchase?
        do {
            purchase = try await self.store.purchase(id)
        } catch {
            if let storedBytes { return storedBytes }
            throw TicketPDFError(.storeUnavailable, error.description)
        }
        guard let purchase else {
            if storedBytes != nil {
                _ = try? await self.onForegroundPool { () -> Result<Bool, TicketArchiveError> in
                    Result { () throws(TicketArchiveError) in try archive.remove(id) }
                }
            }
            return nil
        }
        if let storedBytes, TicketRenderer.holds(token: TicketToken(purchase: purchase).signed(with: self.signingKey), storedBytes) {
            return storedBytes
        }
        // None stored, or one showing another sale of this purchase id (before a reset, or signed with another key):
        // rendered from the ledger, over it.
        guard let pdf = try await self.render(purchase, on: self.foregroundPool, trigger: .onDemand) else {
            // Only background renders skip a ticket that is stored already.
            throw TicketPDFError(.storage, "the ticket of purchase \(id) was not rendered")
        }
        return pdf
    }

    /// Records whether the last write of a ticket failed (`failure`, why) or succeeded, logging only the changes: at
    /// the first failure an error, at the first success after one a notice. That success also asks for a ledger
    /// scan: a scan that straddled the recovery launched tickets that failed before it, and with storing no longer
    /// failing no periodic scan would come for them (`make test` caught one such ticket missing in ten runs).
    private func noteStorage(failure: String?) {
        let wasFailing = self.storageFailing.exchange(failure != nil, ordering: .relaxed)
        if let failure, !wasFailing {
            self.logger.error(
                "tickets cannot be stored: renders fail, downloads are served without storing; the ledger is scanned again until they can",
                metadata: ["error": "\(failure)", "pdf_output_dir": "\(self.configuration.outputDirectory)"]
            )
        } else if failure == nil, wasFailing {
            self.logger.notice("tickets are stored again", metadata: ["pdf_output_dir": "\(self.configuration.outputDirectory)"])
            self.backlog.requestScan()
        }
    }

    /// Renders and stores the ticket of `purchase` on `pool`; `nil` when a background render finds the file written
    /// meanwhile. A download's ticket that cannot be stored is served all the same (it was a 500 with a full disk).
    private func render(_ purchase: Purchase, on pool: NIOThreadPool, trigger: TicketPDFMetrics.Trigger) async throws(TicketPDFError) -> [UInt8]? {
        let event = try await self.event(purchase.eventID)
        let content = TicketContent(purchase: purchase, event: event, token: TicketToken(purchase: purchase).signed(with: self.signingKey))
        let renderer = self.renderer
        let archive = self.archive
        let outcome: Result<(bytes: [UInt8], elapsed: Duration, storeFailure: String?)?, TicketPDFError>
        do {
            outcome = try await pool.runIfActive {
                if trigger == .background {
                    ThreadPriority.yieldToEverythingElse()
                    // A sale queued during a ledger scan may have been rendered by the scan already.
                    if archive.contains(purchase.purchaseID) { return .success(nil) }
                }
                let clock = ContinuousClock()
                let start = clock.now
                let bytes: [UInt8]
                do {
                    bytes = try renderer.render(content)
                } catch {
                    return .failure(TicketPDFError(.renderFailed, "purchase \(purchase.purchaseID): \(error)"))
                }
                let elapsed = clock.now - start
                do {
                    try archive.write(bytes, for: purchase.purchaseID)
                } catch {
                    guard trigger == .onDemand else { return .failure(TicketPDFError(.storage, "\(error)")) }
                    return .success((bytes, elapsed, "\(error)"))
                }
                return .success((bytes, elapsed, nil))
            }
        } catch {
            throw TicketPDFError(.shuttingDown, "the render threads are stopped")
        }
        switch outcome {
        case .success(nil):
            return nil
        case .success(let rendered?):
            self.noteStorage(failure: rendered.storeFailure)
            if rendered.storeFailure == nil {
                self.statistics.recordRender(rendered.elapsed)
                self.metrics.recordRender(rendered.elapsed, trigger: trigger)
            } else {
                // Served, not stored: a failure, as the metrics' help says (it counted as rendered and stored).
                self.statistics.recordFailure()
                self.metrics.recordFailure(trigger: trigger)
            }
            return rendered.bytes
        case .failure(let error):
            if error.code == .storage { self.noteStorage(failure: error.message) }
            self.statistics.recordFailure()
            self.metrics.recordFailure(trigger: trigger)
            throw error
        }
    }

    /// The event's description, read at most the configuration's `eventLifetime` ago; `nil` when the event no
    /// longer exists.
    private func event(_ id: EventID) async throws(TicketPDFError) -> EventSnapshot? {
        let now = ContinuousClock.now
        if let cached = self.eventCache.withLock({ $0[id] }), now - cached.readAt < self.configuration.eventLifetime { return cached.event }
        do {
            guard let snapshot = try await self.store.event(id) else { return nil }
            self.eventCache.withLock { $0[id] = (snapshot, now) }
            return snapshot
        } catch {
            throw TicketPDFError(.storeUnavailable, error.description)
        }
    }

    // MARK: Maintenance

    /// Deletes tickets older than `maxAge` (the configured age when `nil`); downloads render them again. Logs what it
    /// deleted to `logger` (a request's, with its id), else to the service's.
    /// - Throws: ``TicketPDFError`` when the archive cannot be read.
    public func cleanUp(maxAge: Duration? = nil, logger: Logger? = nil) async throws(TicketPDFError) -> TicketArchive.CleanupResult {
        let age = maxAge ?? self.configuration.cleanupMaxAge
        let (seconds, attoseconds) = age.components
        let cutoff = Double(Timestamp.nowMillis()) / 1000 - (Double(seconds) + Double(attoseconds) / 1e18)
        let archive = self.archive
        let result = try await self.onForegroundPool { () -> Result<TicketArchive.CleanupResult, TicketArchiveError> in
            Result { () throws(TicketArchiveError) in try archive.deleteFiles(modifiedBefore: cutoff) }
        }
        switch result {
        case .success(let result):
            (logger ?? self.logger).info(
                "old tickets deleted",
                metadata: ["deleted": "\(result.deleted)", "freed_bytes": "\(result.freedBytes)", "max_age_seconds": "\(age.components.seconds)"]
            )
            return result
        case .failure(let error):
            throw TicketPDFError(.storage, error.description)
        }
    }

    /// Files, bytes, backlog and render times.
    /// - Throws: ``TicketPDFError`` when the archive cannot be read.
    public func currentStatistics() async throws(TicketPDFError) -> TicketPDFStatistics {
        let archive = self.archive
        let files = try await self.onForegroundPool { () -> Result<TicketArchive.Statistics, TicketArchiveError> in
            Result { () throws(TicketArchiveError) in try archive.statistics() }
        }
        let archived: TicketArchive.Statistics
        switch files {
        case .success(let statistics): archived = statistics
        case .failure(let error): throw TicketPDFError(.storage, error.description)
        }
        let renders = self.statistics.snapshot(quantiles: [0.5, 0.99])
        return TicketPDFStatistics(
            files: archived.files,
            bytes: archived.bytes,
            oldestFileModified: archived.oldestModified,
            backlog: self.backlogCount,
            scanning: self.scanning.load(ordering: .relaxed),
            workers: self.backgroundPool == nil ? 0 : self.configuration.workers,
            rendered: renders.rendered,
            failed: renders.failed,
            renderP50: renders.quantiles[0],
            renderP99: renders.quantiles[1]
        )
    }

    /// Purchases queued or being rendered.
    private var backlogCount: Int { self.backlog.count + self.renderingNow.load(ordering: .relaxed) }

    /// Runs blocking file work on the normal-priority pool.
    private func onForegroundPool<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async throws(TicketPDFError) -> Value {
        do {
            return try await self.foregroundPool.runIfActive(body)
        } catch {
            throw TicketPDFError(.shuttingDown, "the ticket threads are stopped")
        }
    }
}
