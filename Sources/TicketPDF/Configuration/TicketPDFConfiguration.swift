/// Where tickets are written, how many threads render them in the background, and when old files go.
///
/// ```swift
/// let configuration = TicketPDFConfiguration(outputDirectory: "/var/lib/ticketd/tickets", workers: 2)
/// ```
///
/// Read it from a `ConfigReader` with ``init(reader:)``.
public struct TicketPDFConfiguration: Sendable {
    /// The directory tickets are written under (see ``TicketArchive``).
    public var outputDirectory: String
    /// Threads rendering the backlog in the background, at idle priority; 0 turns background rendering off (tickets
    /// are then rendered when first downloaded).
    public var workers: Int
    /// Purchases queued for background rendering at most; beyond that, a ledger scan finds them later.
    public var backlogCapacity: Int
    /// Tickets older than this are deleted by the periodic cleanup and `POST /admin/cleanup-tickets`.
    public var cleanupMaxAge: Duration
    /// How often the periodic cleanup runs.
    public var cleanupInterval: Duration
    /// The fonts tickets are set in.
    public var fonts: TicketRenderer.Fonts
    /// How often the ledger is scanned again while tickets cannot be stored (a full disk): the tickets that failed
    /// then are rendered once writes succeed, without a restart.
    public var storageRetryInterval: Duration
    /// How long a ticket's header may show an event's name, venue and start as read before: the event is read
    /// again after that (without it, an event reseeded under a new name was printed with the old one for as long
    /// as the process ran).
    public var eventLifetime: Duration

    /// Creates a configuration.
    public init(
        outputDirectory: String = "tickets",
        workers: Int = 2,
        backlogCapacity: Int = 100_000,
        cleanupMaxAge: Duration = .seconds(24 * 3600),
        cleanupInterval: Duration = .seconds(3600),
        fonts: TicketRenderer.Fonts = .dejaVuSans,
        eventLifetime: Duration = .seconds(10),
        storageRetryInterval: Duration = .seconds(30)
    ) {
        self.outputDirectory = outputDirectory
        self.workers = workers
        self.backlogCapacity = backlogCapacity
        self.cleanupMaxAge = cleanupMaxAge
        self.cleanupInterval = cleanupInterval
        self.fonts = fonts
        self.eventLifetime = eventLifetime
        self.storageRetryInterval = storageRetryInterval
    }
}
