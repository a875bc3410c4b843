import Foundation
import NIOCore

/// The fields of a purchase answer the audit needs, read from its JSON body:
/// `{"purchaseId": "…", "eventId": "1", "ticketId": "42", …}`.
///
/// The hot path scans the bytes for the string members instead of decoding the whole object; a body that the
/// scan cannot read plainly (escapes in a value, another shape) goes through `JSONSerialization` instead.
struct PurchaseBody: Hashable {
    var ticketId: String
    var purchaseId: String
    /// The event the answer names, if it names one.
    var eventId: String?
}

extension PurchaseBody {
    /// The fields of `body`, or `nil` when it is not a JSON object with a ticket and a purchase id as strings.
    init?(_ body: ByteBuffer) {
        let scanned = body.withUnsafeReadableBytes { bytes in
            (
                Self.scanString(member: Self.ticketKey, in: bytes), Self.scanString(member: Self.purchaseKey, in: bytes),
                Self.scanString(member: Self.eventKey, in: bytes)
            )
        }
        if let ticket = scanned.0, let purchase = scanned.1 {
            self.ticketId = ticket
            self.purchaseId = purchase
            self.eventId = scanned.2
            return
        }
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let ticket = object["ticketId"] as? String,
            let purchase = object["purchaseId"] as? String
        else { return nil }
        self.ticketId = ticket
        self.purchaseId = purchase
        self.eventId = object["eventId"] as? String
    }

    private static let ticketKey = Array(#""ticketId""#.utf8)
    private static let purchaseKey = Array(#""purchaseId""#.utf8)
    private static let eventKey = Array(#""eventId""#.utf8)

    /// The value of `"member": "value"` when the value has no escapes; `nil` otherwise. A plain loop over the raw
    /// bytes: the generic collection searches cost more than the rest of an answer's handling.
    private static func scanString(member: [UInt8], in bytes: UnsafeRawBufferPointer) -> String? {
        guard let first = member.first, bytes.count >= member.count else { return nil }
        var index = 0
        var found: Int? = nil
        while index + member.count <= bytes.count {
            if bytes[index] == first, member.indices.allSatisfy({ bytes[index + $0] == member[$0] }) {
                found = index + member.count
                break
            }
            index += 1
        }
        guard var cursor = found else { return nil }
        func skipSpace() {
            while cursor < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[cursor]) { cursor += 1 }
        }
        skipSpace()
        guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":") else { return nil }
        cursor += 1
        skipSpace()
        guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") else { return nil }
        let start = cursor + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}
