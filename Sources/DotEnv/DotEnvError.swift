/// Why a `.env` file could not be used: it cannot be read, is not UTF-8, or has a line that is not `KEY=value`. The
/// description names the file, and the line when there is one.
public struct DotEnvError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}
