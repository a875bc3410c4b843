import NIOCore

/// Where a command goes in a cluster: the primary of one slot, any node, or every primary.
enum ClusterRoute: Sendable, Hashable {
    /// The primary that serves this slot (every key of the command is in it).
    case slot(HashSlot)
    /// Any node: the command touches no key (`PING`, `INFO`, `TIME`).
    case anyNode
    /// Every primary, first reply returned: commands that change per-node state (`SCRIPT LOAD`, `FLUSHALL`).
    case allPrimaries
}

extension RESPCommand {
    /// Where this command goes in a cluster, from its name and its encoded arguments.
    ///
    /// Keys are found as Redis's own key specifications place them for the commands ticketd sends: `EVAL`,
    /// `EVALSHA` and `FCALL` name them after `numkeys`; `MGET`, `DEL`, `EXISTS`, `UNLINK`, `TOUCH` and `WATCH`
    /// take only keys; `MSET` alternates keys and values; commands without keys go to any node; every other
    /// command takes its key first. A command sent to the wrong node is answered `MOVED` and followed, so a
    /// guess costs a redirect, never a wrong result.
    /// - Throws: `notSent(.crossSlot)` when the keys hash to different slots, which Redis would refuse.
    func clusterRoute() throws(RedisError) -> ClusterRoute {
        let name = self.name.uppercased()
        if Self.broadcastCommands.contains(name) { return .allPrimaries }
        if Self.keylessCommands.contains(name) { return .anyNode }
        let arguments = self.encodedArguments()
        let keys: [ByteBuffer]
        switch name {
        case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
            guard arguments.count > 2,
                let count = arguments[2].getString(at: arguments[2].readerIndex, length: arguments[2].readableBytes).flatMap(Int.init),
                count >= 0, arguments.count >= 3 + count
            else { return .anyNode }
            keys = Array(arguments[3..<(3 + count)])
        case "MGET", "DEL", "UNLINK", "EXISTS", "TOUCH", "WATCH":
            keys = Array(arguments.dropFirst())
        case "MSET", "MSETNX":
            keys = stride(from: 1, to: arguments.count, by: 2).map { arguments[$0] }
        default:
            keys = arguments.count > 1 ? [arguments[1]] : []
        }
        guard let first = keys.first else { return .anyNode }
        let slot = HashSlot(key: first.readableBytesView)
        for key in keys.dropFirst() where HashSlot(key: key.readableBytesView) != slot {
            throw .notSent(
                .crossSlot,
                "\(self.name): keys hash to different cluster slots (\(slot) and \(HashSlot(key: key.readableBytesView))); "
                    + "give them a common hash tag such as {id}"
            )
        }
        return .slot(slot)
    }

    /// The command's bulk strings (its name first), as slices of ``bytes``.
    private func encodedArguments() -> [ByteBuffer] {
        var buffer = self.bytes
        guard buffer.readInteger(as: UInt8.self) == UInt8(ascii: "*"), let count = Self.readDecimalLine(&buffer) else { return [] }
        var arguments: [ByteBuffer] = []
        arguments.reserveCapacity(count)
        for _ in 0..<count {
            guard buffer.readInteger(as: UInt8.self) == UInt8(ascii: "$"), let length = Self.readDecimalLine(&buffer),
                let argument = buffer.readSlice(length: length)
            else { return arguments }
            buffer.moveReaderIndex(forwardBy: min(2, buffer.readableBytes))
            arguments.append(argument)
        }
        return arguments
    }

    /// Reads the digits up to `\r\n` and the `\r\n` itself.
    private static func readDecimalLine(_ buffer: inout ByteBuffer) -> Int? {
        var value = 0
        while let byte = buffer.readInteger(as: UInt8.self) {
            if byte == UInt8(ascii: "\r") {
                buffer.moveReaderIndex(forwardBy: min(1, buffer.readableBytes))
                return value
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return nil
    }

    private static let broadcastCommands: Set<String> = ["SCRIPT", "FLUSHALL", "FLUSHDB", "FUNCTION"]
    private static let keylessCommands: Set<String> = [
        "PING", "ECHO", "INFO", "TIME", "DBSIZE", "CLUSTER", "CLIENT", "CONFIG", "COMMAND", "HELLO", "AUTH", "SELECT",
        "READONLY", "READWRITE", "ASKING", "LASTSAVE", "MEMORY", "SLOWLOG", "LATENCY", "DEBUG", "RANDOMKEY", "SCAN", "KEYS",
        "WAIT", "MULTI", "EXEC", "DISCARD", "SAVE", "BGSAVE", "BGREWRITEAOF", "ROLE", "LOLWUT",
    ]
}
