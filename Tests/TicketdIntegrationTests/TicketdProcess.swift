import Foundation
import RedisTestSupport

/// The real `ticketd` binary, as built by `swift build` next to the test bundle, run as a child process.
struct TicketdProcess: Sendable {
    let process: ChildProcess
    let port: Int
    let logFile: String

    /// The binary named by `TICKETD_BIN` (`make test-release-binary` runs these tests against the release build),
    /// or else the one beside the running test bundle (`.build/<triple>/debug/ticketd`).
    static var executable: String {
        if let binary = ProcessInfo.processInfo.environment["TICKETD_BIN"], !binary.isEmpty { return binary }
        let bundle = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var directory = bundle.deletingLastPathComponent()
        // The Swift Testing runner may live inside the `.xctest` bundle directory.
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("ticketd").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("ticketd").path
    }

    /// Starts `ticketd serve` on a free port against `redisURL` and waits until it answers `/livez`; its PDF tickets go
    /// to `directory/tickets` unless `environment` says otherwise.
    /// - Parameter wrapper: A command to run the server under, such as `["prlimit", "--nofile=256:256"]`.
    static func serve(
        redisURL: String,
        directory: String,
        environment: [String: String] = [:],
        wrapper: [String] = []
    ) async throws -> TicketdProcess {
        let port = try FreePort.reserve()
        let logFile = directory + "/ticketd.out"
        var variables = [
            "PORT": "\(port)", "HOST": "127.0.0.1", "REDIS_URL": redisURL, "LOG_LEVEL": "warning", "LOG_FILE": "",
            "FALLBACK_DIR": directory + "/ticketd-data",
            "PDF_OUTPUT_DIR": directory + "/tickets",
        ]
        variables.merge(environment) { $1 }
        let command = wrapper + [Self.executable, "serve"]
        let process = try ChildProcess(
            executable: wrapper.isEmpty ? Self.executable : "/usr/bin/env",
            arguments: wrapper.isEmpty ? ["serve"] : command,
            environment: variables,
            standardOutput: logFile,
            standardError: logFile
        )
        let server = TicketdProcess(process: process, port: port, logFile: logFile)
        let client = RawHTTPClient(host: "127.0.0.1", port: port)
        try await waitUntil(timeout: .seconds(20), "ticketd answers /livez") {
            if process.hasExited { throw ProcessError("ticketd exited: \(server.output)") }
            return (try? await client.send("GET", "/livez"))?.status == 200
        }
        return server
    }

    /// Runs a `ticketd` command (`seed`, `audit`, a `serve` that is expected to exit) until it exits and returns its
    /// exit status and output; `environment` adds to or overrides the defaults. With `inDirectory`, the command
    /// runs in `directory` (where it reads a `.env`), else in the test's; `wrapper` as for ``serve(redisURL:directory:environment:wrapper:)``.
    static func run(
        _ arguments: [String],
        redisURL: String,
        directory: String,
        environment: [String: String] = [:],
        inDirectory: Bool = false,
        wrapper: [String] = []
    ) async throws -> (status: Int32, output: String) {
        let output = directory + "/ticketd-\(arguments.first ?? "cmd")-\(UUID().uuidString).out"
        let process = try ChildProcess(
            executable: wrapper.isEmpty ? Self.executable : "/usr/bin/env",
            arguments: wrapper.isEmpty ? arguments : wrapper + [Self.executable] + arguments,
            environment: ["REDIS_URL": redisURL, "LOG_LEVEL": "warning", "LOG_FILE": ""].merging(environment) { $1 },
            currentDirectory: inDirectory ? directory : nil,
            standardOutput: output,
            standardError: output
        )
        let termination = await process.exit()
        return (termination.status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// What the server printed so far.
    var output: String { (try? String(contentsOfFile: self.logFile, encoding: .utf8)) ?? "" }

    /// Stops the server (SIGTERM, graceful shutdown).
    func stop() {
        self.process.terminate(gracePeriod: .seconds(10))
        FreePort.release(self.port)
    }

    struct ProcessError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
