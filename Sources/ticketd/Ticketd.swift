import ArgumentParser

/// `ticketd`: the ticket-selling service and its tools.
@main
struct Ticketd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticketd",
        abstract: "Sells every ticket exactly once, over HTTP, from Redis.",
        discussion: """
            Configuration comes from the environment and, if present, a .env file in the working directory \
            (the environment wins). See env.example for every key.
            """,
        subcommands: [ServeCommand.self, SeedCommand.self, AuditCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
