import Logging

/// A change of ``RedisHealth``, for logs.
struct RedisHealthChange {
    let old: RedisHealth
    let new: RedisHealth

    /// Whether connections were lost: up to degraded or down, degraded to down.
    var isLoss: Bool { Self.rank(self.new) < Self.rank(self.old) }

    private static func rank(_ health: RedisHealth) -> Int {
        switch health {
        case .down: 0
        case .degraded: 1
        case .up: 2
        }
    }

    /// Logs the change as `message`: a loss at warning level, unless the client is `stopping` and closed its
    /// connections itself; connections coming up, at a start or after an outage, at info level.
    func log(_ message: Logger.Message, to logger: Logger, stopping: Bool) {
        let metadata: Logger.Metadata = ["redis.health": "\(self.new)", "redis.health_before": "\(self.old)"]
        if self.isLoss, !stopping {
            logger.warning(message, metadata: metadata)
        } else {
            logger.info(message, metadata: metadata)
        }
    }
}
