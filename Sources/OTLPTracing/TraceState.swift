/// The rules W3C Trace Context sets for a `tracestate` value that is passed on: what a caller sends is copied onto
/// every span of the request and into every export, so an invalid or oversized one must not get through.
enum TraceState {
    /// Members passed on at most: with more, W3C lets a vendor drop the whole value.
    static let maxMembers = 32
    /// Characters passed on at most, the size W3C asks every vendor to carry.
    static let maxLength = 512
    /// Members longer than this are the first dropped when the value is too long, as W3C asks.
    static let longMember = 128

    /// `value` as it is passed on: its members (`key=value`, separated by commas, whitespace around them ignored)
    /// joined by commas, members dropped until it fits in ``maxLength`` characters (the long ones first, then from
    /// the end); `nil` when it is empty, when a member breaks W3C's syntax or repeats a key, or when it has more than
    /// ``maxMembers`` members.
    static func passedOn(_ value: String) -> String? {
        var members: [Substring] = []
        var keys: Set<Substring> = []
        for element in value.split(separator: ",", omittingEmptySubsequences: false) {
            let member = element.trimmingWhitespace()
            if member.isEmpty { continue }
            guard let key = Self.key(ofMember: member), keys.insert(key).inserted else { return nil }
            members.append(member)
        }
        guard !members.isEmpty, members.count <= Self.maxMembers else { return nil }
        var length = members.reduce(members.count - 1) { $0 + $1.utf8.count }
        if length > Self.maxLength {
            members.removeAll { member in
                guard length > Self.maxLength, member.utf8.count > Self.longMember else { return false }
                length -= member.utf8.count + 1
                return true
            }
        }
        while length > Self.maxLength, let last = members.popLast() { length -= last.utf8.count + 1 }
        return members.isEmpty ? nil : members.joined(separator: ",")
    }

    /// The key of a list member `key=value`, or `nil` when the member breaks W3C's syntax: a key of lowercase
    /// letters, digits and `_-*/`, starting with a letter (or, as `tenant@system`, a digit), at most 256 characters;
    /// a value of 1 to 256 printable ASCII characters other than `,` and `=` (the member comes trimmed, so it does not
    /// end in a space).
    private static func key(ofMember member: Substring) -> Substring? {
        let utf8 = member.utf8
        guard let equals = utf8.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        let key = utf8[..<equals]
        let value = utf8[utf8.index(after: equals)...]
        let isLower = { (byte: UInt8) in (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        let keySymbols = Set("_-*/@".utf8)
        let tenants = key.reduce(0) { $0 + ($1 == UInt8(ascii: "@") ? 1 : 0) }
        guard let first = key.first, isLower(first) || (isDigit(first) && tenants == 1), tenants <= 1, key.count <= 256,
            key.allSatisfy({ isLower($0) || isDigit($0) || keySymbols.contains($0) }),
            (1...256).contains(value.count),
            value.allSatisfy({ (0x20...0x7E).contains($0) && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "=") })
        else { return nil }
        return member[..<equals]
    }
}
