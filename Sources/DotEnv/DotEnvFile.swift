import SystemPackage

/// The variables of a `.env` file: `KEY=value` lines, as a shell would read them and as `docker compose` does.
///
/// Blank lines and lines starting with `#` are skipped; an `export ` in front of a key is allowed, and so are spaces
/// around `=` (which a shell would not take, and compose does); a value in single
/// or double quotes is taken without them (inside double quotes, `\"` and `\\` are escapes); an unquoted value ends
/// at ` #` (a comment) and is trimmed. Windows line ends (CRLF) are read like Unix ones, and a byte-order mark at
/// the start (which Windows editors write) is skipped. Nothing is expanded: `${NAME}` is taken as it is. Any other
/// line is an error naming its line number, never skipped in silence.
public struct DotEnvFile: Sendable {
    /// The variables, later lines winning.
    public let variables: [String: String]

    /// The variables of the file at `path`; none when there is no such file.
    /// - Throws: ``DotEnvError`` when the file cannot be read, is not UTF-8, or is not `KEY=value` lines.
    public static func variables(atPath path: String) throws(DotEnvError) -> [String: String] {
        var bytes: [UInt8] = []
        do {
            let file = try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
            defer { try? file.close() }
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = try chunk.withUnsafeMutableBytes { try file.read(into: $0) }
                if count == 0 { break }
                bytes.append(contentsOf: chunk[..<count])
            }
        } catch Errno.noSuchFileOrDirectory {
            return [:]
        } catch {
            throw DotEnvError("cannot read \(path): \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DotEnvError("\(path) is not UTF-8 text")
        }
        return try DotEnvFile(parsing: text, path: path).variables
    }

    /// Parses `text`, the file's contents; `path` names it in errors.
    /// - Throws: ``DotEnvError`` for a line that is not `KEY=value`, or a quote that is not closed.
    public init(parsing text: String, path: String) throws(DotEnvError) {
        var variables: [String: String] = [:]
        // Before, a byte-order mark made line 1 a name that is no variable's, in a message that could not show why.
        let text = text.hasPrefix("\u{FEFF}") ? text.dropFirst() : Substring(text)
        // `\r\n` is one `Character`, and a newline: Windows files split like Unix ones.
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            var line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).trimmingSpaces() }
            guard let equals = line.firstIndex(of: "=") else {
                throw DotEnvError("\(path) line \(index + 1) is not KEY=value: \(line.prefix(80))")
            }
            let key = line[..<equals].trimmingSpaces()
            guard Self.isKey(key) else {
                throw DotEnvError("\(path) line \(index + 1): \"\(key.prefix(80))\" is not a variable name")
            }
            variables[String(key)] = try Self.value(line[line.index(after: equals)...].trimmingSpaces(), line: index + 1, path: path)
        }
        self.variables = variables
    }

    /// A name a shell accepts for a variable: a letter or `_`, then letters, digits and `_`.
    private static func isKey(_ key: Substring) -> Bool {
        guard let first = key.utf8.first, first == UInt8(ascii: "_") || Self.isLetter(first) else { return false }
        return key.utf8.allSatisfy { $0 == UInt8(ascii: "_") || Self.isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// The value of `text`, what follows `=`, trimmed.
    private static func value(_ text: Substring, line: Int, path: String) throws(DotEnvError) -> String {
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            if text.hasPrefix("#") { return "" }
            var value = text
            for comment in [" #", "\t#"] {
                if let range = value.firstRange(of: comment) { value = value[..<range.lowerBound] }
            }
            return String(value.trimmingSpaces())
        }
        var value = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let character = text[index]
            index = text.index(after: index)
            if character == quote {
                let rest = text[index...].trimmingSpaces()
                guard rest.isEmpty || rest.hasPrefix("#") else {
                    throw DotEnvError("\(path) line \(line): unexpected text after the closing quote: \(rest.prefix(40))")
                }
                return value
            }
            if quote == "\"", character == "\\", index < text.endIndex, text[index] == "\"" || text[index] == "\\" {
                value.append(text[index])
                index = text.index(after: index)
            } else {
                value.append(character)
            }
        }
        throw DotEnvError("\(path) line \(line): the value's \(quote) quote is not closed")
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> Substring {
        let start = self.drop { $0 == " " || $0 == "\t" }
        var end = start.endIndex
        while end > start.startIndex, start[start.index(before: end)] == " " || start[start.index(before: end)] == "\t" {
            end = start.index(before: end)
        }
        return start[..<end]
    }
}
