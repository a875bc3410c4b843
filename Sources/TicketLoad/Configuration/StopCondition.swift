/// When a run stops sending: after a time, or after a number of requests.
///
/// Either way, requests already sent are waited for (up to the request timeout), because a purchase whose answer
/// is never read may still have sold a ticket, and the duplicate audit must see every ticket.
public enum StopCondition: Sendable, Hashable, CustomStringConvertible {
    /// Send for this long.
    case duration(Duration)
    /// Send this many requests in all (replays included).
    case requests(Int)

    public var description: String {
        switch self {
        case .duration(let duration): "\(duration.components.seconds)s"
        case .requests(let count): "\(count) requests"
        }
    }
}
