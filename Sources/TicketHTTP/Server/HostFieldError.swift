/// Why a request's `Host` header field breaks RFC 9112 §3.2, which asks a server to answer `400` to an HTTP/1.1
/// request without one, and to any request with more than one or with an invalid value.
enum HostFieldError: Error, CustomStringConvertible {
    /// An HTTP/1.1 request without `Host`.
    case missing
    /// More than one `Host` field line.
    case repeated
    /// A value that is no `uri-host [ ":" port ]`.
    case invalid

    /// Why the request is refused, `nil` when its `Host` fields are as RFC 9112 asks: `values` are its `Host` field
    /// lines, and `requiresHost` says whether its version (HTTP/1.1 and later) must send one.
    static func check(_ values: [String], requiresHost: Bool) -> HostFieldError? {
        guard let value = values.first else { return requiresHost ? .missing : nil }
        guard values.count == 1 else { return .repeated }
        return value.utf8.allSatisfy(Self.isHostByte) ? nil : .invalid
    }

    /// Whether `byte` may appear in a `Host` value: a registered name, IP literal or IPv4 address (unreserved,
    /// percent-encoded and sub-delimiter characters, brackets and colons), then an optional port.
    private static func isHostByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "-._~%!$&'()*+,;=:[]".utf8.contains(byte)
        }
    }

    var description: String {
        switch self {
        case .missing: "an HTTP/1.1 request needs a Host header field"
        case .repeated: "the request has more than one Host header field"
        case .invalid: "the Host header field's value is not a host and optional port"
        }
    }
}
