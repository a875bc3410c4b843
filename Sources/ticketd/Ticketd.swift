import ArgumentParser
import TicketHTTP

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
        version: AppConfiguration.release,
        subcommands: [ServeCommand.self, SeedCommand.self, AuditCommand.self],
        defaultSubcommand: ServeCommand.self
    )

    /// Runs the command line, refusing a first word that names no command (exit status 64). Otherwise a mistyped
    /// command (`ticketd seeed`) reads as an argument to `serve`, the default command, and shows serve's usage.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let commands = Self.configuration.subcommands.compactMap { $0.configuration.commandName }
        if let word = arguments.first, !word.hasPrefix("-"), word != "help", !commands.contains(word) {
            Self.exit(withError: ValidationError("unknown command '\(word)'; the commands are \(commands.joined(separator: ", "))"))
        }
        await Self.main(arguments)
    }
}
