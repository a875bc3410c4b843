import ArgumentParser
import Dispatch
import Glibc
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import RESPClient
import ServiceLifecycle
import SystemPackage
import TicketCore
import TicketHTTP
import TicketPDF
import TicketRedis

/// `ticketd serve` (the default): the HTTP API on `PORT` (3049), selling from Redis at `REDIS_URL`, and from this
/// instance's escrow while Redis cannot be reached (see `FallbackSettings`).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the HTTP API (the default command).")

    func run() async throws {
        do {
            try await self.serve()
        } catch {
            throw ConfigurationLoader.misconfigured(by: error) ?? error
        }
    }

    private func serve() async throws {
        // A server whose standard output closes (`ticketd serve | head`, a log shipper gone) goes on serving: its
        // log lines there are lost, not the process. SwiftNIO ignores SIGPIPE too, but only once it opens a socket,
        // and a log line written before that ended the process.
        signal(SIGPIPE, SIG_IGN)
        let reader = try ConfigurationLoader.reader()
        let (logger, logOutput) = try ConfigurationLoader.bootstrapLogging(reader)
        let hangUp = LogReopening.onHangUp(logOutput, logger: logger)
        defer { hangUp.cancel() }

        // Every connection holds a file descriptor; 5000 buyers need far more than the usual soft limit of 1024.
        if let (before, after) = FileDescriptorLimit.raiseToHardLimit() {
            logger.info("open-files limit raised to the hard limit", metadata: ["nofile_before": "\(before)", "nofile_after": "\(after)"])
        } else {
            logger.warning("could not raise the open-files limit; fewer connections are held at once, the rest wait in the backlog")
        }

        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[TicketPDFService.renderDurationMetric] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100),
        ]
        MetricsSystem.bootstrap(factory)

        let tracing = try TracingSetup.bootstrap(reader, logger: logger)

        var configuration = AppConfiguration(reader: reader)
        let signingKey = try ConfigurationLoader.ticketSigningKey(reader, logger: logger)
        configuration.purchaseIDSecret = signingKey
        configuration.tracing = tracing != nil
        configuration.rootSampler = tracing?.rootSampler
        if let openFiles = FileDescriptorLimit.current() {
            let most = ConnectionLimit.maxConnections(openFiles: openFiles)
            // More would run the process out of descriptors, which the runtime does not survive (black-box testing
            // crashed it so, 3 runs in 11, with HTTP_MAX_CONNECTIONS=1000 under a limit of 256).
            if let configured = configuration.maxConnections, configured > most {
                throw ConfigurationError(
                    "HTTP_MAX_CONNECTIONS \(configured) is more than an open-files limit of \(openFiles) allows (\(most), keeping a reserve "
                        + "for Redis, logs and tickets): lower it, or raise the limit (ulimit -n)"
                )
            }
            configuration.maxConnections = configuration.maxConnections ?? most
            configuration.acceptsPerRead = ConnectionLimit.acceptsPerRead(openFiles: openFiles)
        }
        logger.info(
            "accepting connections",
            metadata: [
                "max_connections": "\(configuration.maxConnections.map(String.init) ?? "unlimited")",
                "accepts_per_read": "\(configuration.acceptsPerRead.map(String.init) ?? "4")",
            ]
        )
        let pdfConfiguration = TicketPDFConfiguration(reader: reader)
        do {
            try TicketArchive(root: pdfConfiguration.outputDirectory).prepare()
        } catch {
            throw ConfigurationError("PDF_OUTPUT_DIR \(pdfConfiguration.outputDirectory) cannot hold tickets: \(error)")
        }
        let redisURL = try ConfigurationLoader.redisURL(reader)
        let client = RedisClient(configuration: try ConfigurationLoader.redisClientConfiguration(reader), logger: logger)
        let redisStore = RedisTicketStore(client: client, logger: logger)
        let store: any TicketStore & TicketAuditor & PurchaseLedger
        var services: [any Service] = [client]
        var fallbackStore: FallbackTicketStore?
        /// Held until the server has stopped.
        var directoryLock: FallbackDirectoryLock?
        let fallback = try FallbackSettings(reader: reader)
        if fallback.enabled {
            let files: FallbackFiles
            do {
                files = try await FallbackFiles(directory: fallback.directory)
            } catch {
                throw ConfigurationError("FALLBACK_DIR \(fallback.directory) cannot be used: \(error)")
            }
            let instance: InstanceID
            do {
                // Another ticketd on the directory, or the directory another instance's: each a FALLBACK_DIR (or
                // INSTANCE_ID) to set again, as one that is a file.
                directoryLock = try FallbackDirectoryLock(directory: fallback.directory)
                if let configured = fallback.instanceID { try await files.adopt(configured) }
            } catch {
                throw ConfigurationError("\(error)")
            }
            if let configured = fallback.instanceID {
                instance = configured
            } else {
                instance = try await files.instanceID()
            }
            let opened = try await FallbackTicketStore.open(
                redis: redisStore,
                client: client,
                files: files,
                instance: instance,
                configuration: fallback.configuration,
                logger: logger
            )
            logger.info("fallback on", metadata: ["fallback.instance": "\(instance)", "fallback.dir": "\(fallback.directory)"])
            // No escrow until the server listens: a start that fails leaves none behind.
            opened.pauseEscrowTopUps()
            store = opened
            fallbackStore = opened
            // Listed after the client, so it stops first: it settles and gives its escrow back while Redis is there.
            services.append(opened)
        } else {
            store = redisStore
        }
        let tickets = try TicketPDFService(
            configuration: pdfConfiguration,
            signingKey: signingKey ?? .random(),
            store: store,
            logger: logger
        )
        // A fallback sale that settled over Redis's own sale of its purchase id gets its ticket made again.
        fallbackStore?.onReplacedSales { sales in
            for sale in sales { await tickets.purchaseReplaced(sale) }
        }
        let app = buildApplication(
            configuration: configuration,
            store: store,
            auditor: store,
            tickets: tickets,
            fallback: fallbackStore,
            prometheus: registry,
            logger: logger,
            // First in, last out: the exporter flushes the spans of the last requests after the server stopped.
            services: (tracing.map { [$0.service] } ?? []) + services,
            onServerStarting: { [fallbackStore, probeTimeout = fallback.configuration.probeTimeout] in
                // Serve even if Redis is late: purchases answer 503 until it is up (or sell from escrow), and scripts
                // load on first use. An escrow found on disk sells at once, so Redis gets only as long as the
                // fallback's probe: a server restarted during an outage used to listen 5 s late.
                let escrowOnDisk = fallbackStore?.status.escrow.values.contains { $0 > 0 } ?? false
                do {
                    try await RedisSession.waitUntilUp(client, url: redisURL, timeout: escrowOnDisk ? probeTimeout : .seconds(5))
                    try await redisStore.prepare()
                } catch let error as ConfigurationError where !escrowOnDisk {
                    // Refused credentials: waiting will not fix them, and with no escrow to sell every purchase would
                    // fail with 503 while the instance looked healthy to its supervisor (black-box testing).
                    throw error
                } catch {
                    let meanwhile =
                        fallbackStore == nil
                        ? "purchases fail with 503 until it is"
                        : "purchases sell from this instance's escrow, if it holds any, or fail with 503 until it is"
                    logger.warning("Redis is not reachable yet; \(meanwhile)", metadata: ["error": "\(error)"])
                    return
                }
                guard let fallbackStore else { return }
                let id = fallbackStore.status.instanceID
                switch await fallbackStore.claimInstanceID() {
                case .claimed:
                    break
                case .unknown(let error):
                    logger.warning(
                        "could not claim INSTANCE_ID \(id) in Redis; the claim is tried again at every escrow refresh",
                        metadata: ["error": "\(error)"]
                    )
                case .heldByAnotherProcess(let age):
                    throw ConfigurationError(
                        "INSTANCE_ID \(id) is held by another process on this FALLBACK_DIR or on a copy of it (its claim renewed \(age) "
                            + "ago): a copy of a fallback directory run beside the original would sell its escrow twice; give each "
                            + "instance its own INSTANCE_ID and an empty FALLBACK_DIR of its own"
                    )
                case .heldElsewhere(let age):
                    throw ConfigurationError(
                        "INSTANCE_ID \(id) is held by another FALLBACK_DIR (its claim renewed \(age) ago): another instance runs under it, "
                            + "or one stopped without a graceful stop and may hold escrow and sales only its directory knows. Give each "
                            + "instance its own INSTANCE_ID, start that one again on its own FALLBACK_DIR, or, once it is gone for good, "
                            + "release its escrow (POST /admin/escrow/release?instance=\(id))"
                    )
                }
            },
            onServerListening: { [fallbackStore] in fallbackStore?.resumeEscrowTopUps() }
        )
        defer { withExtendedLifetime(directoryLock) {} }
        do {
            try await app.runService()
        } catch let error as IOError where error.errnoCode == Errno.addressInUse.rawValue {
            throw ConfigurationError(
                "cannot listen on \(configuration.host):\(configuration.port): the address is in use (another ticketd?); stop that server or set PORT"
            )
        } catch let error as SocketAddressError.UnknownHost {
            throw ConfigurationError(
                "HOST \(error.host) names no address to listen on (\(error.errorDescription)); set HOST to an address or name of this machine"
            )
        }
    }
}
