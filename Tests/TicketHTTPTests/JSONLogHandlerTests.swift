import Foundation
import Logging
import Testing

@testable import TicketHTTP

@Suite struct JSONLogHandlerTests {
    private func line(_ handler: JSONLogHandler, _ event: LogEvent) throws -> (text: String, object: [String: Any]) {
        let text = String(decoding: handler.line(for: event, timestampMillis: 1_700_000_000_123), as: UTF8.self)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return (text, object)
    }

    @Test func writesOneFlatJSONObjectPerLine() throws {
        var handler = JSONLogHandler(label: "ticketd", output: .standardOutput)
        handler[metadataKey: "request_id"] = "r-1"
        let event = LogEvent(
            level: .info,
            message: "purchase \"quoted\"\nnext",
            metadata: ["event_id": "1", "count": .stringConvertible(3), "tags": ["a", "b"], "nested": ["k": "v"], "msg": "clash"],
            source: "TicketHTTP",
            file: #fileID,
            function: #function,
            line: #line
        )
        let (text, object) = try self.line(handler, event)
        #expect(text.hasSuffix("}\n"))
        #expect(text.filter { $0 == "\n" }.count == 1)
        #expect(text.hasPrefix(#"{"ts":"2023-11-14T22:13:20.123Z","level":"info","label":"ticketd","msg":"#))
        #expect(object["msg"] as? String == "purchase \"quoted\"\nnext")
        #expect(object["request_id"] as? String == "r-1")
        #expect(object["event_id"] as? String == "1")
        #expect(object["count"] as? String == "3")
        #expect(object["tags"] as? [String] == ["a", "b"])
        #expect(object["nested"] as? [String: String] == ["k": "v"])
        #expect(object["_msg"] as? String == "clash")
    }

    @Test func theCallsMetadataWinsOverTheProvidersWhichWinsOverTheHandlers() throws {
        var handler = JSONLogHandler(
            label: "ticketd",
            output: .standardOutput,
            metadataProvider: Logger.MetadataProvider { ["b": "provider", "c": "provider"] }
        )
        handler[metadataKey: "a"] = "handler"
        handler[metadataKey: "b"] = "handler"
        handler[metadataKey: "c"] = "handler"
        let event = LogEvent(
            level: .error,
            message: "m",
            metadata: ["c": "call", "error": "from metadata"],
            source: "",
            file: #fileID,
            function: #function,
            line: #line
        )
        let (text, object) = try self.line(handler, event)
        #expect(object["a"] as? String == "handler")
        #expect(object["b"] as? String == "provider")
        #expect(object["c"] as? String == "call")
        #expect(object["error"] as? String == "from metadata")
        #expect(text.hasSuffix(#""a":"handler","b":"provider","c":"call","error":"from metadata"}\#n"#), "keys in order: \(text)")
    }

    @Test func escapesControlCharacters() throws {
        let handler = JSONLogHandler(label: "x", output: .standardOutput)
        let event = LogEvent(level: .warning, message: "a\u{01}b\tc\\d", metadata: nil, source: "", file: "", function: "", line: 0)
        let (text, object) = try self.line(handler, event)
        #expect(text.contains(#"a\u0001b\tc\\d"#))
        #expect(object["msg"] as? String == "a\u{01}b\tc\\d")
        #expect(object["level"] as? String == "warning")
    }

    @Test func writesToAFileCreatingItsDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ticketd-log-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nested/app.log").path
        let output = try LogOutput(alsoTo: path)
        var logger = Logger(label: "file-test") { label in JSONLogHandler(label: label, output: output, level: .debug) }
        logger.logLevel = .debug
        logger.debug("first", metadata: ["n": "1"])
        logger.info("second")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains(#""msg":"first""#))
        #expect(lines[1].contains(#""level":"info""#))
    }

    /// A log file whose writes fail (`/dev/full` fails as a full disk does) lost its lines in silence; every
    /// destination now hears it, once, with the error.
    @Test func aLogFileThatFailsIsReportedOnce() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ticketd-log-\(UInt64.random(in: 0...UInt64.max)).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let console = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        try #require(console >= 0)
        defer { close(console) }
        let full = open("/dev/full", O_WRONLY)
        try #require(full >= 0)
        defer { close(full) }
        let output = LogOutput(descriptors: [console, full], filePath: "/dev/full")
        let logger = Logger(label: "test") { label in JSONLogHandler(label: label, output: output) }
        logger.info("first")
        logger.info("second")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.first?.contains(#""msg":"first""#) == true && lines.last?.contains(#""msg":"second""#) == true, "\(lines)")
        let warning = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(warning["level"] as? String == "warning", "\(warning)")
        #expect(warning["msg"] as? String == "log lines lost: writing to LOG_FILE /dev/full fails: No space left on device", "\(warning)")
    }

    @Test func linesLoggedFromManyThreadsArriveWholeAndInOrder() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ticketd-log-\(UInt64.random(in: 0...UInt64.max)).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let output = LogOutput(descriptors: [descriptor], filePath: path)
        let writers = 8
        let linesEach = 2000
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    let logger = Logger(label: "w\(writer)") { label in JSONLogHandler(label: label, output: output) }
                    for index in 0..<linesEach {
                        logger.info("line", metadata: ["n": "\(index)", "padding": "\(String(repeating: "x", count: 200))"])
                    }
                }
            }
        }
        var next: [String: Int] = [:]
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == writers * linesEach)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let label = try #require(object["label"] as? String)
            #expect(object["n"] as? String == "\(next[label, default: 0])", "each writer's lines in order")
            next[label, default: 0] += 1
        }
    }

    @Test(arguments: [
        ("error", Logger.Level.error), ("WARN", .warning), ("warning", .warning), ("info", .info), ("debug", .debug), ("trace", .trace),
        ("notice", .notice), ("critical", .critical),
    ])
    func levelNames(name: String, level: Logger.Level) {
        #expect(LoggingSetup.level(named: name) == level)
    }

    @Test func unknownLevelName() {
        #expect(LoggingSetup.level(named: "verbose") == nil)
    }
}
