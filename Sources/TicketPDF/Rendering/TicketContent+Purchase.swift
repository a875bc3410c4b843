import TicketCore

extension TicketContent {
    /// What the ticket of `purchase` shows: the event's name, venue and start from `event` (the event id when it is
    /// unknown), the buyer (`anonymous` when none was named), the purchase time in UTC, and the signed `token`.
    public init(purchase: Purchase, event: EventSnapshot?, token: String) {
        self.init(
            eventName: event?.name ?? "Event \(purchase.eventID.rawValue)",
            venue: event?.venue,
            startsAt: event?.startsAt.map(Self.printedStart),
            eventID: purchase.eventID.rawValue,
            ticketID: purchase.ticketID,
            purchaseID: purchase.purchaseID.rawValue,
            buyer: purchase.userID?.rawValue ?? "anonymous",
            purchasedAt: Self.printedTime(millis: purchase.purchasedAt),
            token: token
        )
    }

    /// `2026-11-26 12:53:53 UTC` for milliseconds since 1970.
    static func printedTime(millis: Int64) -> String {
        let time = Timestamp.fields(millis: millis)
        return "\(time.year)-\(Self.twoDigits(time.month))-\(Self.twoDigits(time.day)) "
            + "\(Self.twoDigits(time.hour)):\(Self.twoDigits(time.minute)):\(Self.twoDigits(time.second)) UTC"
    }

    /// `2026-12-26 20:00 UTC` for an ISO 8601 UTC time such as `2026-12-26T20:00:00Z`; any other text as it is.
    static func printedStart(_ iso: String) -> String {
        let bytes = Array(iso.utf8)
        let digitPositions = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15]
        guard bytes.count >= 17, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
            digitPositions.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[$0]) })
        else { return iso }
        return "\(String(decoding: bytes[0..<10], as: UTF8.self)) \(String(decoding: bytes[11..<16], as: UTF8.self)) UTC"
    }

    private static func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
