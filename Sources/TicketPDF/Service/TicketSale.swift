import TicketCore
import Tracing

/// A sale whose ticket waits to be rendered: the purchase, and the trace context of the request that made it, so
/// that the render's span joins the purchase's trace.
struct TicketSale: Sendable, Equatable {
    /// What was sold.
    let purchase: Purchase
    /// The selling request's context (its span), when that span records; `nil` for an untraced sale and for sales a
    /// ledger scan found.
    let origin: InstrumentationContext?

    /// Creates a sale to render.
    init(_ purchase: Purchase, origin: InstrumentationContext? = nil) {
        self.purchase = purchase
        self.origin = origin
    }

    /// Two sales are the same when their purchase is: the context tells where a sale came from, not what it is.
    static func == (lhs: TicketSale, rhs: TicketSale) -> Bool { lhs.purchase == rhs.purchase }
}
