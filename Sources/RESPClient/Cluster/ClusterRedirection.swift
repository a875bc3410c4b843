/// A `MOVED` or `ASK` error reply from a cluster node: the slot and the node that serves it.
///
/// `MOVED 3999 127.0.0.1:6381` says the slot now lives on that node for good; `ASK 3999 127.0.0.1:6381` says
/// only this one command should be tried there (after `ASKING`), because the slot is being migrated.
struct ClusterRedirection: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case moved
        case ask
    }

    let kind: Kind
    let slot: HashSlot
    /// The host named in the reply; empty when the node left it out (`MOVED 3999 :6380`), which means the host
    /// of the node that answered.
    let host: String
    let port: Int

    /// Reads a redirection from an error message, or returns `nil` when the message is not one.
    ///
    /// The host and port are split at the last colon, so an IPv6 address (`ASK 1 ::1:7000`) keeps its colons.
    init?(errorMessage message: String) {
        let parts = message.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        switch parts[0] {
        case "MOVED": self.kind = .moved
        case "ASK": self.kind = .ask
        default: return nil
        }
        guard let slot = UInt16(parts[1]), Int(slot) < HashSlot.count else { return nil }
        let address = parts[2]
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        var host = address[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        self.slot = HashSlot(rawValue: slot)
        self.host = String(host)
        self.port = port
    }
}
