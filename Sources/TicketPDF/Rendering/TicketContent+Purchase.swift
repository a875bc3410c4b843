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
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civilDate(daysSince1970: days)
        return "\(year)-\(Self.twoDigits(month))-\(Self.twoDigits(day)) "
            + "\(Self.twoDigits(secondOfDay / 3600)):\(Self.twoDigits(secondOfDay / 60 % 60)):\(Self.twoDigits(secondOfDay % 60)) UTC"
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

    /// Year, month and day of a day count since 1970-01-01 (proleptic Gregorian; H. Hinnant's `civil_from_days`).
    private static func civilDate(daysSince1970: Int64) -> (Int64, Int64, Int64) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
