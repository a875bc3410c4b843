import RESPClient
import TicketCore

extension RedisEscrow {
    /// Records this instance's report in `fallback:instances`, for `POST /admin/escrow/release` on other instances.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func report(_ report: InstanceReport) async throws(RedisError) {
        let command = RESPCommand("HSET", .string(EventKeys.instanceReports), .string(self.instance.rawValue), .string(report.encoded))
        _ = try await self.client.execute(command, options: RedisCommandOptions(idempotent: true))
    }

    /// Every instance's last report, by instance id; unreadable entries are left out.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func reports() async throws(RedisError) -> [InstanceID: InstanceReport] {
        let reply = try await self.client.execute(
            RESPCommand("HGETALL", .string(EventKeys.instanceReports)),
            options: RedisCommandOptions(idempotent: true)
        )
        let fields = reply.array ?? []
        var reports: [InstanceID: InstanceReport] = [:]
        var index = 0
        while index + 1 < fields.count {
            if let id = fields[index].string.flatMap(InstanceID.init), let report = fields[index + 1].string.flatMap(InstanceReport.init(encoded:)) {
                reports[id] = report
            }
            index += 2
        }
        return reports
    }

    /// Redis's clock and when the Redis process started, both in milliseconds since 1970 (`TIME`, and `INFO
    /// server`'s `uptime_in_seconds`).
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func serverClock() async throws(RedisError) -> (now: Int64, startedAt: Int64) {
        let options = RedisCommandOptions(idempotent: true)
        let time = try await self.client.execute(RESPCommand("TIME"), options: options).array ?? []
        guard time.count == 2, let seconds = time[0].string.flatMap({ Int64($0) }), let micros = time[1].string.flatMap({ Int64($0) }) else {
            throw RedisError(kind: .serverError, reason: .serverReply, message: "unexpected reply to TIME")
        }
        let now = seconds * 1000 + micros / 1000
        let info = try await self.client.execute(RESPCommand("INFO", "server"), options: options).string ?? ""
        let uptime = info.split(whereSeparator: \.isNewline).lazy.compactMap { line -> Int64? in
            guard line.hasPrefix("uptime_in_seconds:") else { return nil }
            return Int64(line.dropFirst("uptime_in_seconds:".count))
        }.first
        guard let uptime else { throw RedisError(kind: .serverError, reason: .serverReply, message: "INFO server has no uptime_in_seconds") }
        // Whole seconds: the start may be up to a second earlier than this, never later.
        return (now, now - (uptime + 1) * 1000)
    }

    /// Gives `other`'s escrow of `event` back to the pool (`escrow-return.lua` with `other`'s keys).
    /// - Returns: how many tickets went back.
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func release(_ other: InstanceID, event: EventID) async throws(RedisError) -> Int {
        try await RedisEscrow(client: self.client, instance: other).giveBack(event: event)
    }

    /// Forgets `other`'s report once its escrow is released, so a later release starts from "never reported".
    /// - Throws: ``RedisError`` when Redis cannot answer.
    public func forgetReport(of other: InstanceID) async throws(RedisError) {
        _ = try await self.client.execute(
            RESPCommand("HDEL", .string(EventKeys.instanceReports), .string(other.rawValue)),
            options: RedisCommandOptions(idempotent: true)
        )
    }
}
