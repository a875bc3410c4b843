import Logging
import TicketCore

/// A swift-log handler that writes one JSON object per line:
///
/// ```json
/// {"ts":"2025-03-01T12:00:00.123Z","level":"info","label":"ticketd","msg":"purchase","event_id":"1","request_id":"…"}
/// ```
///
/// Metadata (the handler's, the metadata provider's, then the call's; later ones win) is flattened into the object
/// in key order; nested dictionaries and arrays stay JSON objects and arrays, everything else becomes a string. A
/// metadata key that would clash with `ts`, `level`, `label` or `msg` is written with a leading `_`. The event's
/// `error`, if any, is written as `error` unless the metadata already has that key.
public struct JSONLogHandler: LogHandler {
    /// The logger's label, written as `label`.
    public let label: String
    /// Where lines go.
    public let output: LogOutput
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler.
    /// - Parameters:
    ///   - label: The logger's label.
    ///   - output: Where lines go; share one between all handlers so lines never interleave.
    ///   - level: The lowest level written.
    ///   - metadataProvider: Adds contextual metadata to every line, if given.
    public init(label: String, output: LogOutput, level: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.output = output
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        self.output.write(self.line(for: event, timestampMillis: Timestamp.nowMillis()))
    }

    /// The line for `event`, newline included.
    func line(for event: LogEvent, timestampMillis: Int64) -> [UInt8] {
        // The call's metadata wins over the provider's, which wins over the handler's. A line has a handful of keys,
        // so a small array searched linearly is cheaper than merging dictionaries, which copies and rehashes them.
        var fields: [(key: String, value: Logger.Metadata.Value)] = []
        fields.reserveCapacity(self.metadata.count + (event.metadata?.count ?? 0) + 2)
        func add(_ metadata: Logger.Metadata) {
            for (key, value) in metadata where !fields.contains(where: { $0.key == key }) { fields.append((key, value)) }
        }
        if let explicit = event.metadata { add(explicit) }
        if let provided = self.metadataProvider?.get() { add(provided) }
        add(self.metadata)
        if let error = event.error, !fields.contains(where: { $0.key == "error" }) {
            fields.append(("error", .string(String(describing: error))))
        }
        fields.sort { $0.key < $1.key }

        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: #"{"ts":""#.utf8)
        line.append(contentsOf: Timestamp.iso8601(millis: timestampMillis).utf8)
        line.append(contentsOf: #"","level":""#.utf8)
        line.append(contentsOf: Self.levelName(event.level).utf8)
        line.append(contentsOf: #"","label":"#.utf8)
        JSONText.appendString(self.label, to: &line)
        line.append(contentsOf: #","msg":"#.utf8)
        JSONText.appendString(event.message.description, to: &line)
        for (key, value) in fields {
            line.append(UInt8(ascii: ","))
            JSONText.appendString(Self.reservedKeys.contains(key) ? "_" + key : key, to: &line)
            line.append(UInt8(ascii: ":"))
            Self.appendValue(value, to: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    private static let reservedKeys: Set<String> = ["ts", "level", "label", "msg"]

    /// The level as written: `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`.
    static func levelName(_ level: Logger.Level) -> String { level.rawValue }

    private static func appendValue(_ value: Logger.Metadata.Value, to line: inout [UInt8]) {
        switch value {
        case .string(let text):
            JSONText.appendString(text, to: &line)
        case .stringConvertible(let convertible):
            JSONText.appendString(convertible.description, to: &line)
        case .array(let values):
            line.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                Self.appendValue(element, to: &line)
            }
            line.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            line.append(UInt8(ascii: "{"))
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                JSONText.appendString(key, to: &line)
                line.append(UInt8(ascii: ":"))
                Self.appendValue(dictionary[key]!, to: &line)
            }
            line.append(UInt8(ascii: "}"))
        }
    }
}
