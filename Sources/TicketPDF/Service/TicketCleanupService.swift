import Logging
import ServiceLifecycle

/// Deletes old tickets every `cleanupInterval`, as `POST /admin/cleanup-tickets` does on demand. A deleted ticket
/// is rendered again from the ledger when it is next downloaded, so cleanup never loses one.
public struct TicketCleanupService: Service {
    private let tickets: TicketPDFService
    private let logger: Logger

    /// Creates the service; its interval and age come from the tickets' configuration.
    public init(tickets: TicketPDFService, logger: Logger) {
        self.tickets = tickets
        self.logger = logger
    }

    /// Cleans up once per interval until graceful shutdown.
    public func run() async throws {
        let interval = self.tickets.configuration.cleanupInterval
        await cancelWhenGracefulShutdown {
            while (try? await Task.sleep(for: interval)) != nil {
                do {
                    _ = try await self.tickets.cleanUp()
                } catch {
                    self.logger.warning("periodic ticket cleanup failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
