import ArgumentParser
import Configuration
import Foundation
import Logging
import RESPClient
import TicketCore
import TicketHTTP
import TicketRedis

/// `ticketd audit`: checks every event's books; exits 1 with a report when any is off, 69 (`EX_UNAVAILABLE`) when
/// they cannot be read, 78 (`EX_CONFIG`) when the configuration cannot be used: 1 is only ever a verdict on the
/// books (a bad `PORT` in the environment used to exit 1, and `ticket-load` reported it as a failed audit); 64
/// (`EX_USAGE`) for an `--answers` file it cannot read.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check every event: seeded = available + escrowed + sold, every sold ticket in exactly one purchase, every ticket in one place."
    )

    @Option(
        name: .customLong("answers"),
        help: ArgumentHelp(
            "A file of purchases as buyers were told of them, to check against the ledger: one per line, event id, purchase id and ticket id separated by tabs.",
            valueName: "file"
        )
    )
    var answersFile: String?

    /// The exit status when Redis cannot be read (`EX_UNAVAILABLE` of `sysexits.h`).
    static let unavailable: Int32 = 69
    /// The exit status when the command line cannot be used (`EX_USAGE` of `sysexits.h`), as for an unknown option.
    static let usage: Int32 = 64
    /// The exit status when the configuration cannot be used (`EX_CONFIG` of `sysexits.h`).
    static let misconfigured: Int32 = 78

    func run() async throws {
        let (reader, logger) = try ConfigurationLoader.oneShotCommand()
        let answers = try self.readAnswers()
        let url = try ConfigurationLoader.redisURL(reader)
        let report: AuditReport
        do {
            report = try await RedisSession.with(url: url, logger: logger) { client in
                try await RedisTicketStore(client: client, logger: logger).audit(checking: answers)
            }
        } catch {
            if let exit = ConfigurationLoader.misconfigured(by: error) { throw exit }
            // Not a verdict on the books: they could not be read. A script tells the two apart by the status.
            // Redis's reason as seed gives it, without the error's type names (`RedisError(notSent, circuitOpen)`).
            let reason = (error as? RedisError)?.message ?? "\(error)"
            FileHandle.standardError.write(Data("Error: the books could not be read: \(reason)\n".utf8))
            throw ExitCode(Self.unavailable)
        }
        for event in report.events {
            let verdict = event.problems.isEmpty ? "ok" : "BROKEN"
            print(
                "event \(event.eventID)\tseeded \(event.seeded)\tavailable \(event.available)\tescrowed \(event.escrowed)\tsold \(event.sold)\t\(verdict)"
            )
            for problem in event.problems { print("  - \(problem)") }
        }
        if report.events.isEmpty { print("no events") }
        guard report.isClean else {
            print("audit FAILED")
            throw ExitCode(1)
        }
        let checked = answers.isEmpty ? "" : ", \(answers.count) answers as the ledger records them"
        print("audit passed: \(report.events.count) events, \(report.events.reduce(0) { $0 + $1.sold }) tickets sold, none twice\(checked)")
    }

    /// The answers of `--answers`, if given.
    /// - Throws: exit status 64 (`EX_USAGE`) naming the file, or the line, that cannot be read.
    private func readAnswers() throws -> [AnsweredPurchase] {
        guard let path = self.answersFile else { return [] }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            FileHandle.standardError.write(Data("Error: --answers: cannot read \(path): \(Self.whyUnreadable(path, error))\n".utf8))
            throw ExitCode(Self.usage)
        }
        var answers: [AnsweredPurchase] = []
        // Lines end in LF or CRLF (a file saved on Windows, or by a spreadsheet): CRLF is one `Character`, which a split on
        // "\n" did not see, so the whole file was one line, or its last ticket id ended in a carriage return.
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() where !line.isEmpty {
            guard let answer = AnsweredPurchase(line: line) else {
                FileHandle.standardError.write(
                    Data("Error: --answers: line \(number + 1) of \(path) is not an event id, a purchase id and a ticket id separated by tabs\n".utf8)
                )
                throw ExitCode(Self.usage)
            }
            answers.append(answer)
        }
        return answers
    }

    /// Why the file at `path` could not be read, in words: Foundation's error says "The operation could not be
    /// completed" of a directory or an unreadable file.
    private static func whyUnreadable(_ path: String, _ error: any Error) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "no such file" }
        if isDirectory.boolValue { return "it is a directory" }
        if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
        return error.localizedDescription
    }
}
