import Foundation
import NIOCore

/// The two fields of a purchase answer the audit needs, read from its JSON body:
/// `{"purchaseId": "…", "eventId": "1", "ticketId": "42", …}`.
///
/// The hot path scans the bytes for the two string members instead of decoding the whole object; a body that
/// the scan cannot read plainly (escapes in a value, another shape) goes through `JSONSerialization` instead.
struct PurchaseBody: Hashable {
    var ticketId: String
    var purchaseId: String
}

extension PurchaseBody {
    /// The fields of `body`, or `nil` when it is not a JSON object with both as strings.
    init?(_ body: ByteBuffer) {
        let bytes = body.readableBytesView
        if let ticket = Self.scanString(member: Self.ticketKey, in: bytes), let purchase = Self.scanString(member: Self.purchaseKey, in: bytes) {
            self.ticketId = ticket
            self.purchaseId = purchase
            return
        }
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let ticket = object["ticketId"] as? String,
            let purchase = object["purchaseId"] as? String
        else { return nil }
        self.ticketId = ticket
        self.purchaseId = purchase
    }

    private static let ticketKey = Array(#""ticketId""#.utf8)
    private static let purchaseKey = Array(#""purchaseId""#.utf8)

    /// The value of `"member": "value"` when the value has no escapes; `nil` otherwise.
    private static func scanString(member: [UInt8], in bytes: ByteBufferView) -> String? {
        guard let range = bytes.firstRange(of: member) else { return nil }
        var index = range.upperBound
        func skipSpace() {
            while index < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index = bytes.index(after: index) }
        }
        skipSpace()
        guard index < bytes.endIndex, bytes[index] == UInt8(ascii: ":") else { return nil }
        index = bytes.index(after: index)
        skipSpace()
        guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = bytes.index(after: index)
        guard let end = bytes[start...].firstIndex(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }),
            bytes[end] == UInt8(ascii: "\"")
        else { return nil }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
