import Foundation
import RedisTestSupport

/// The `ticket-load` binary that `swift build --build-tests` puts beside the test bundle, run as a child process.
enum TicketLoadExecutable {
    /// Its path: the first folder up from the running test binary that holds it.
    static var path: String {
        let running = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var directory = running.deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("ticket-load").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("ticket-load").path
    }

    /// Runs it with `arguments` to the end, in `directory` (this process's when `nil`) and without `TEST_URL` in its
    /// environment; its exit status and everything it printed.
    static func run(_ arguments: [String], in directory: String? = nil) async throws -> (status: Int32, output: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ticket-load-test-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var environment = ProcessInfo.processInfo.environment
        environment["TEST_URL"] = nil
        let process = try ChildProcess(
            executable: Self.path,
            arguments: arguments,
            environment: environment,
            currentDirectory: directory,
            standardOutput: output,
            standardError: output
        )
        let termination = await process.exit()
        return (termination.status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }
}
