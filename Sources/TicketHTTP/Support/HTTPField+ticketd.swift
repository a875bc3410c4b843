import HTTPTypes

extension HTTPField.Name {
    /// `X-Request-Id`: the request's id, accepted from the caller and always echoed back.
    static let xRequestID = HTTPField.Name("X-Request-Id")!
    /// `X-User-Id`: the buyer, as an alternative to the body's `userId`.
    static let xUserID = HTTPField.Name("X-User-Id")!
    /// `Idempotency-Key`: makes a purchase safe to repeat.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// `Idempotent-Replayed: true` marks a response that repeats an earlier purchase.
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    /// `traceresponse`: the W3C Trace Context (level 2) response header naming the trace the request joined.
    static let traceresponse = HTTPField.Name("traceresponse")!
}
