import NIOCore

/// Where the reply to one command goes: straight to the suspended caller, or to a promise.
///
/// A single caller is resumed through its continuation with no future in between (one hop fewer per command);
/// pipelines and keep-alive pings use promises. The connection's state machine hands each sink exactly one
/// completion: an entry leaves the in-flight queue (or is marked abandoned) when it is answered.
enum RedisReplySink: Sendable {
    case continuation(UnsafeContinuation<RESPValue, any Error>)
    case promise(EventLoopPromise<RESPValue>)

    /// Delivers the reply.
    func succeed(_ value: RESPValue) {
        switch self {
        case .continuation(let continuation): continuation.resume(returning: value)
        case .promise(let promise): promise.succeed(value)
        }
    }

    /// Delivers the failure.
    func fail(_ error: RedisError) {
        switch self {
        case .continuation(let continuation): continuation.resume(throwing: error)
        case .promise(let promise): promise.fail(error)
        }
    }
}
