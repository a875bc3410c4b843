/// What `ticketd audit` said about the books in Redis: whether they balance, and each event's sold count.
public struct RedisAuditResult: Sendable, Hashable, Codable {
    /// Whether it exited 0: every event has seeded = available + sold, no ticket sold twice or both sold and
    /// available.
    public var passed: Bool
    /// Whether it gave no verdict on the books: any exit status but 0 and 1 (69: Redis could not be read, 78: its
    /// configuration could not be used); no counts either.
    public var unreadable: Bool
    /// Tickets sold per event, as Redis counts them.
    public var soldByEvent: [String: Int]
    /// What it printed.
    public var output: String

    /// A result as given.
    public init(passed: Bool, unreadable: Bool = false, soldByEvent: [String: Int], output: String) {
        self.passed = passed
        self.unreadable = unreadable
        self.soldByEvent = soldByEvent
        self.output = output
    }

    /// Reads `ticketd audit`'s output, one line per event:
    /// `event 1<TAB>seeded 1000<TAB>available 0<TAB>sold 1000<TAB>ok`.
    public init(exitStatus: Int32, output: String) {
        var sold: [String: Int] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("event ") {
            let fields = line.split(separator: "\t")
            guard let event = fields.first?.dropFirst("event ".count),
                let soldField = fields.first(where: { $0.hasPrefix("sold ") }),
                let count = Int(soldField.dropFirst("sold ".count))
            else { continue }
            sold[String(event)] = count
        }
        self.init(passed: exitStatus == 0, unreadable: exitStatus != 0 && exitStatus != 1, soldByEvent: sold, output: output)
    }
}
