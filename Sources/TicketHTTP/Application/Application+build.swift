import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import TicketCore
import TicketPDF

/// The application `buildApplication` returns: Hummingbird's `Application` over ticketd's router.
public typealias TicketApplication = Application<RouterResponder<AppRequestContext>>

/// Builds the ticketd HTTP application: the router of ``buildRouter(configuration:store:auditor:tickets:fallback:prometheus:)``
/// served on `configuration.host:port` with `configuration.backlog`, holding at most `configuration.maxConnections`
/// connections open at once and accepting `configuration.acceptsPerRead` of them per read (``AcceptBatch``).
///
/// Run it with `runService()` (SIGTERM/SIGINT shut it down gracefully). The returned value is the concrete
/// `Application`, so more services can still be added with `addServices(_:)` and setup with
/// `beforeServerStarts(perform:)`.
///
/// - Parameters:
///   - configuration: Address, backlog, admin token, version.
///   - store: Where tickets are sold from.
///   - auditor: Checks the books for `GET /admin/audit`; `nil` leaves that route out.
///   - tickets: PDF tickets: told of every sale, and serving `/tickets/…` and the PDF admin routes; it and its
///     periodic cleanup run as services of the application. `nil` leaves those routes out.
///   - fallback: The fallback's admin operations for `POST /admin/seed-fallback` and `POST /admin/escrow/release`;
///     `nil` leaves those routes out.
///   - prometheus: The registry `/metrics` emits; this instance's metrics are recorded into it. Bootstrap the
///     process's `MetricsSystem` with a `PrometheusMetricsFactory` over the same registry so that library metrics
///     (the Redis client's) appear too.
///   - logger: The application's logger; each request gets a copy tagged with `request_id`.
///   - services: Services run alongside the server (the Redis client), started before it and stopped after it.
///   - onServerStarting: Runs once those services are running and before the socket is bound (script loading,
///     seed checks); a throw stops the application.
///   - onServerListening: Runs once the socket is bound and accepting.
public func buildApplication(
    configuration: AppConfiguration,
    store: any TicketStore,
    auditor: (any TicketAuditor)?,
    tickets: TicketPDFService? = nil,
    fallback: (any FallbackAdministration)? = nil,
    prometheus: PrometheusCollectorRegistry,
    logger: Logger,
    services: [any Service] = [],
    onServerStarting: (@Sendable () async throws -> Void)? = nil,
    onServerListening: (@Sendable () async -> Void)? = nil
) -> TicketApplication {
    let router = buildRouter(
        configuration: configuration,
        store: store,
        auditor: auditor,
        tickets: tickets,
        fallback: fallback,
        prometheus: prometheus
    )
    var services = services
    if let tickets {
        services.append(tickets)
        services.append(TicketCleanupService(tickets: tickets, logger: logger))
    }
    var app = Application(
        router: router,
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: connectionHandlers(configuration: configuration, logger: logger),
                idleTimeout: configuration.idleTimeout.map { TimeAmount($0) }
            )
        ),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: configuration.serverName,
            backlog: configuration.backlog,
            availableConnectionsDelegate: configuration.maxConnections.map { .maximum($0, logger: logger) }
        ),
        services: services,
        onServerRunning: { channel in
            if let batch = configuration.acceptsPerRead { await AcceptBatch.configure(channel, connectionsPerRead: batch, logger: logger) }
            await onServerListening?()
        },
        logger: logger
    )
    if let onServerStarting { app.beforeServerStarts(perform: onServerStarting) }
    return app
}

/// The channel handlers of ours on every connection, after Hummingbird's HTTP/1 codec.
private func connectionHandlers(configuration: AppConfiguration, logger: Logger) -> [any RemovableChannelHandler] {
    [
        HTTP1Semantics.installer(bodyLimit: AppRequestContext.bodyLimit),
        MalformedRequestAnswer(logger: logger, serverName: configuration.serverName),
        ConnectionDeadlines(
            drainTimeout: TimeAmount(configuration.drainTimeout),
            unreadTimeout: configuration.idleTimeout.map { TimeAmount($0) }
        ),
    ]
}

/// Builds the router: every route, behind the tracing middleware (when ``AppConfiguration/tracing`` is on) and
/// ``RequestEnvelopeMiddleware`` (request id, problems, metrics, access log).
///
/// | route | |
/// | --- | --- |
/// | `POST /buy/:eventId` | sells a ticket (``PurchaseResponse``) |
/// | `GET /events`, `GET /events/:eventId` | events with their counts |
/// | `GET /health` | ``HealthResponse``; 503 when the store is down |
/// | `GET /livez` | `ok`, touches nothing |
/// | `GET /metrics` | Prometheus text, or ``MetricsSummary`` with `Accept: application/json` |
/// | `GET /openapi.yaml` | the OpenAPI 3.1 document of these routes (``OpenAPIController``) |
/// | `GET /tickets/:purchaseId` | the PDF ticket (``TicketController``); only with `tickets` |
/// | `POST /tickets/verify` | checks a QR code's token (``TicketVerificationResponse``); only with `tickets` |
/// | `GET /admin/audit` | the store's audit; only with an admin token and an auditor, behind ``AdminAuthMiddleware`` |
/// | `GET /admin/pdf-stats`, `POST /admin/cleanup-tickets` | PDF ticket files and backlog, cleanup; admin token and `tickets` |
/// | `POST /admin/seed-fallback`, `POST /admin/escrow/release` | escrow top-up, release of a gone instance's escrow; admin token and `fallback` |
///
/// Every error, including an unknown path (404) and a known path with another method (405 with `Allow`), is an
/// `application/problem+json` body (see ``ProblemType``).
///
/// - Parameters: as for ``buildApplication(configuration:store:auditor:tickets:fallback:prometheus:logger:services:onServerStarting:onServerListening:)``.
public func buildRouter(
    configuration: AppConfiguration,
    store: any TicketStore,
    auditor: (any TicketAuditor)?,
    tickets: TicketPDFService? = nil,
    fallback: (any FallbackAdministration)? = nil,
    prometheus: PrometheusCollectorRegistry
) -> Router<AppRequestContext> {
    let info = ServiceInfo(version: configuration.version)
    let metrics = AppMetrics(registry: prometheus)
    let router = Router(context: AppRequestContext.self, options: [.autoGenerateHeadEndpoints])
    // Outermost first. The request's span (when tracing) covers everything, and its trace id joins the logger before
    // anything below logs; the envelope then sets the request id, answers every error with a problem and measures
    // the final status (see RequestEnvelopeMiddleware for why that is one layer).
    if configuration.tracing {
        router.add(middleware: RequestTracingMiddleware(rootSampler: configuration.rootSampler))
    }
    router.add(middleware: RequestEnvelopeMiddleware(metrics: RequestMetricsRecorder(metrics: metrics)))

    var routes = RouteTable(router: router)
    let health = HealthController(store: store, info: info)
    routes.add(.get, "/livez", use: health.livez)
    routes.add(.get, "/health", use: health.health)
    let events = EventController(store: store)
    routes.add(.get, "/events", use: events.list)
    routes.add(.get, "/events/:eventId", use: events.show)
    let purchases = PurchaseController(store: store, metrics: metrics, tickets: tickets, purchaseIDSecret: configuration.purchaseIDSecret)
    routes.add(.post, "/buy/:eventId", use: purchases.buy)
    if let tickets {
        let ticketController = TicketController(tickets: tickets)
        routes.add(.get, "/tickets/:purchaseId", use: ticketController.show)
        routes.add(.post, "/tickets/verify", use: ticketController.verify)
    }
    let metricsController = MetricsController(store: store, registry: prometheus, metrics: metrics, info: info)
    routes.add(.get, "/metrics", use: metricsController.metrics)
    routes.add(.get, "/openapi.yaml", use: OpenAPIController().document)
    routes.addMethodNotAllowedResponders()

    if let token = configuration.effectiveAdminToken {
        let group = router.group("/admin").add(middleware: AdminAuthMiddleware(token: token))
        var adminRoutes = RouteTable(router: group)
        if let auditor {
            adminRoutes.add(.get, "/audit", use: AdminController(auditor: auditor).audit)
        }
        if let tickets {
            let ticketAdmin = TicketAdminController(tickets: tickets)
            adminRoutes.add(.get, "/pdf-stats", use: ticketAdmin.statistics)
            adminRoutes.add(.post, "/cleanup-tickets", use: ticketAdmin.cleanUp)
        }
        if let fallback {
            let fallbackAdmin = FallbackAdminController(fallback: fallback)
            adminRoutes.add(.post, "/seed-fallback", use: fallbackAdmin.seed)
            adminRoutes.add(.post, "/escrow/release", use: fallbackAdmin.release)
        }
        adminRoutes.addMethodNotAllowedResponders()
        // Any other path under /admin/ is a 404, but only once authenticated: unauthenticated callers learn nothing.
        adminRoutes.addNotFound("/**")
    }
    return router
}
