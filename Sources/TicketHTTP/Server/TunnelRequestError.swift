/// Why a `CONNECT` request is refused: it asks for a tunnel (RFC 9110 §9.3.6), which this server never opens.
///
/// Hummingbird routed it like any request, and SwiftNIO's HTTP/1 codec treats the connection after it as the tunnel:
/// the answer (a 404 problem) went out with neither its body nor a length, the connection stayed open, and requests
/// sent after it went unread until the idle timeout. ``HTTP1Semantics`` raises it instead, and
/// ``MalformedRequestAnswer`` answers `400` and closes the connection.
struct TunnelRequestError: Error, CustomStringConvertible {
    var description: String { "CONNECT asks for a tunnel, which this server does not open" }
}
