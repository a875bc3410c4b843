import Hummingbird

/// How answers and log lines repeat a request's path: whole up to ``longestRepeated`` bytes, so that neither grows
/// with a request (the HTTP parser takes request lines of up to 80 KB).
enum RequestPath {
    /// The longest path, in bytes, repeated whole.
    static let longestRepeated = 1024

    /// The path of `request` as a problem's default `instance`: itself, or `nil` (no `instance`) when longer than
    /// ``longestRepeated``; the problem's `requestId` still names the occurrence.
    static func instance(of request: Request) -> String? {
        let path = request.uri.path
        return path.utf8.count <= Self.longestRepeated ? path : nil
    }

    /// The path of `request` as a detail or a log line quotes it: itself, or its first ``longestRepeated`` bytes
    /// and "…".
    static func quoted(_ request: Request) -> String {
        let path = request.uri.path
        guard path.utf8.count > Self.longestRepeated else { return path }
        return String(decoding: path.utf8.prefix(Self.longestRepeated), as: UTF8.self) + "…"
    }
}
