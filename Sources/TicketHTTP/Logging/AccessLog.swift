import Hummingbird
import Logging

/// One `debug` line per request (method, path, status, duration); free when the level is above `debug`.
enum AccessLog {
    /// Logs the line for `request`, answered with `status` after `nanoseconds`, if `logger` logs `debug`.
    static func record(_ request: Request, status: Int, nanoseconds: UInt64, logger: Logger) {
        guard logger.logLevel <= .debug else { return }
        logger.debug(
            "request",
            metadata: [
                "http_method": .string(request.method.rawValue),
                "path": .string(RequestPath.quoted(request)),
                "status": .stringConvertible(status),
                "duration_ms": .string(String(Double(nanoseconds / 1000) / 1000)),
            ]
        )
    }
}
