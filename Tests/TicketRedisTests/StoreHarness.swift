import Logging
import RESPClient
import RedisTestSupport
import Testing
import TicketCore
import TicketRedis

/// A private Redis, a running client, a store and a seeder on it, for the duration of `body`.
func withStore<T: Sendable>(
    _ body: @Sendable (RedisServerFixture, RedisTicketStore, TicketSeeder) async throws -> T
) async throws -> T {
    try await withClient { redis, client in
        let logger = Logger(label: "test.store")
        let store = RedisTicketStore(client: client, logger: logger)
        try await store.prepare()
        return try await body(redis, store, TicketSeeder(client: client, logger: logger))
    }
}

/// A private Redis and a running client on it, for the duration of `body`.
func withClient<T: Sendable>(_ body: @Sendable (RedisServerFixture, RedisClient) async throws -> T) async throws -> T {
    let redis = try await RedisServerFixture.start()
    defer { redis.stop() }
    var configuration = try RedisClientConfiguration(url: redis.url)
    configuration.commandTimeout = .seconds(10)
    let logger = Logger(label: "test.store")
    let client = RedisClient(configuration: configuration, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await client.run() }
        defer { group.cancelAll() }
        try #require(await client.waitUntilConnected(allConnections: true, timeout: .seconds(10)))
        return try await body(redis, client)
    }
}

/// A purchase request of `event`: with `id`, one that another request may carry too (as an `Idempotency-Key`'s),
/// else with a random id of its own.
func request(_ event: String, user: String? = nil, id: PurchaseID? = nil) -> PurchaseRequest {
    PurchaseRequest(
        eventID: EventID(event)!,
        userID: user.flatMap(UserID.init),
        purchaseID: id ?? .random(),
        requestedAt: 1_790_000_000_000,
        purchaseIDIsPrivate: id == nil
    )
}

/// The code of the `PurchaseError` that `body` throws, or `nil` when it succeeds.
func refusal(_ body: () async throws(PurchaseError) -> PurchaseResult) async -> PurchaseError.Code? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error.code
    }
}
