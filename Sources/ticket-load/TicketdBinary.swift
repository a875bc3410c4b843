import Foundation
import TicketLoad

/// `ticketd audit` and `ticketd seed` run as child processes, with this process's environment (so `REDIS_URL`
/// and a `.env` file in the working directory mean the same Redis to both) and logging turned down.
struct TicketdBinary: TicketdControl {
    /// The executable.
    let path: String

    /// `ticketd` beside this executable (SwiftPM builds both into one folder), if it is there.
    static func besideSelf() -> TicketdBinary? {
        let executable = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        )
        let candidate = executable.deletingLastPathComponent().appendingPathComponent("ticketd").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? TicketdBinary(path: candidate) : nil
    }

    func audit(checking sales: [SaleRecord]) async throws -> RedisAuditResult {
        let answers = FileManager.default.temporaryDirectory.appendingPathComponent("ticket-load-\(UUID().uuidString).answers")
        let lines = sales.map { "\($0.event)\t\($0.purchaseId)\t\($0.ticketId)\n" }.joined()
        guard FileManager.default.createFile(atPath: answers.path, contents: Data(lines.utf8)) else {
            throw LoadError.ticketd("cannot create \(answers.path)")
        }
        defer { try? FileManager.default.removeItem(at: answers) }
        let (status, output) = try await self.run(["audit", "--answers", answers.path])
        return RedisAuditResult(exitStatus: status, output: output)
    }

    func seed(events: Int, tickets: Int, perUserLimit: Int) async throws {
        let (status, output) = try await self.run(["seed", "\(events)", "\(tickets)", "--reset", "--per-user-limit", "\(perUserLimit)"])
        guard status == 0 else { throw LoadError.ticketd("`ticketd seed` failed (exit status \(status)): \(output.suffix(1000))") }
    }

    /// Runs `ticketd` with `arguments`; its exit status and everything it printed.
    private func run(_ arguments: [String]) async throws -> (Int32, String) {
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("ticket-load-\(UUID().uuidString).out")
        guard FileManager.default.createFile(atPath: outputFile.path, contents: nil) else {
            throw LoadError.ticketd("cannot create \(outputFile.path)")
        }
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let output = try FileHandle(forWritingTo: outputFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: self.path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LOG_LEVEL"] = "error"
        environment["LOG_FILE"] = ""
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: LoadError.ticketd("cannot run \(self.path): \(error)"))
            }
        }
        try? output.close()
        return (status, (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "")
    }
}
