import Foundation
import RedisTestSupport

/// `Tests/OTLPReceiver/otlp_receiver.py`, an OTLP/HTTP trace receiver built on the reference protobuf definitions
/// (`opentelemetry-proto`, installed into `.venv-test/` by `make test` (`make trace-test-deps`)), run as a child process on a free port. It
/// appends every span it receives to a file as one JSON object a line; ``spans()`` reads them back.
struct OTLPReceiver: Sendable {
    /// One exported span, as the receiver decoded it.
    struct Span: Sendable {
        /// OTLP's span kinds.
        enum Kind: Int, Sendable {
            case unspecified, `internal`, server, client, producer, consumer
        }

        var traceID: String
        var spanID: String
        /// Empty for a root span.
        var parentSpanID: String
        var name: String
        var kind: Kind?
        var service: String?
        /// Attribute values as text (`201` for an integer).
        var attributes: [String: String]
    }

    let process: ChildProcess
    let port: Int
    let spansFile: String
    let outputFile: String

    /// The package's root directory, found from this file's path.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Starts the receiver and waits until it listens.
    static func start(directory: String) async throws -> OTLPReceiver {
        let python = Self.packageRoot.appendingPathComponent(".venv-test/bin/python3").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ReceiverError("\(python) is missing: run `make trace-test-deps`, which installs opentelemetry-proto into .venv-test/")
        }
        let port = try FreePort.reserve()
        let spansFile = directory + "/spans-\(port).jsonl"
        let outputFile = directory + "/otlp-receiver-\(port).out"
        let process = try ChildProcess(
            executable: python,
            arguments: [
                Self.packageRoot.appendingPathComponent("Tests/OTLPReceiver/otlp_receiver.py").path, "--port", "\(port)", "--spans", spansFile,
            ],
            standardOutput: outputFile,
            standardError: outputFile
        )
        let receiver = OTLPReceiver(process: process, port: port, spansFile: spansFile, outputFile: outputFile)
        try await waitUntil(timeout: .seconds(20), "the OTLP receiver listens") {
            if process.hasExited { throw ReceiverError("the OTLP receiver exited: \(receiver.output)") }
            return receiver.output.contains("listening on")
        }
        return receiver
    }

    /// The base URL to export to (`OTEL_EXPORTER_OTLP_ENDPOINT`).
    var endpoint: String { "http://127.0.0.1:\(self.port)" }

    /// What the receiver printed.
    var output: String { (try? String(contentsOfFile: self.outputFile, encoding: .utf8)) ?? "" }

    /// Every span received so far; a line still being written is left for the next call.
    func spans() throws -> [Span] {
        guard let text = try? String(contentsOfFile: self.spansFile, encoding: .utf8) else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        if !text.hasSuffix("\n"), !lines.isEmpty { lines.removeLast() }
        return try lines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ReceiverError("not a span: \(line)")
            }
            let attributes = (object["attributes"] as? [String: Any] ?? [:]).mapValues { "\($0)" }
            return Span(
                traceID: object["trace_id"] as? String ?? "",
                spanID: object["span_id"] as? String ?? "",
                parentSpanID: object["parent_span_id"] as? String ?? "",
                name: object["name"] as? String ?? "",
                kind: (object["kind"] as? Int).flatMap(Span.Kind.init(rawValue:)),
                service: object["service"] as? String,
                attributes: attributes
            )
        }
    }

    /// Stops the receiver.
    func stop() {
        self.process.terminate(gracePeriod: .seconds(5))
        FreePort.release(self.port)
    }

    struct ReceiverError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
