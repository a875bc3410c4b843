import Testing

@testable import RESPClient

@Suite struct RedisEndpointURLTests {
    @Test(arguments: [
        ("redis://localhost", RedisEndpoint(host: "localhost")),
        ("redis://127.0.0.1:6380", RedisEndpoint(host: "127.0.0.1", port: 6380)),
        ("REDIS://cache:7000/2", RedisEndpoint(host: "cache", port: 7000, database: 2)),
        ("redis://:p%40ss@h:1/", RedisEndpoint(host: "h", port: 1, password: "p@ss")),
        ("redis://alice:s3cret@h", RedisEndpoint(host: "h", username: "alice", password: "s3cret")),
        ("redis://alice@h", RedisEndpoint(host: "h", username: "alice")),
        ("redis://[::1]:6390", RedisEndpoint(host: "::1", port: 6390)),
        ("redis://[::1]", RedisEndpoint(host: "::1")),
    ])
    func validURLs(url: String, expected: RedisEndpoint) throws {
        #expect(try RedisEndpoint(url: url) == expected)
    }

    @Test(arguments: [
        ("localhost:6379", "expected redis://"),
        ("rediss://h:6379", "TLS"),
        ("http://h", "unsupported scheme"),
        ("redis://", "host is empty"),
        ("redis://:pw@:6379", "host is empty"),
        ("redis://h:0", "port"),
        ("redis://h:65536", "port"),
        ("redis://h:+80", "port"),
        ("redis://h:abc", "port"),
        ("redis://h/-1", "database"),
        ("redis://h/x", "database"),
        ("redis://h?timeout=1", "query"),
        ("redis://[::1", "IPv6"),
        ("redis://:p%4@h", "percent-encoding"),
    ])
    func invalidURLsSayWhatIsWrong(url: String, fragment: String) {
        #expect {
            try RedisEndpoint(url: url)
        } throws: { error in
            "\(error)".contains(fragment) && "\(error)".contains(RedisEndpoint.masked(url))
        }
    }

    @Test func theDescriptionMasksThePassword() throws {
        let endpoint = try RedisEndpoint(url: "redis://alice:s3cret@h:7/1")
        #expect(endpoint.description == "redis://alice:***@h:7/1")
    }

    /// Messages quoted the URL whole, password and all (black-box testing found it in `seed`'s and `audit`'s last
    /// line and in the server's log).
    @Test func aURLIsQuotedWithItsPasswordMasked() {
        #expect(RedisEndpoint.masked("redis://alice:s3cret@h:7/1") == "redis://alice:***@h:7/1")
        #expect(RedisEndpoint.masked("redis://:p@ss:w@h") == "redis://:***@h")
        #expect(RedisEndpoint.masked("redis+cluster://:pw@a:1,b:2") == "redis+cluster://:***@a:1,b:2")
        #expect(RedisEndpoint.masked("redis://s3cret@h") == "redis://***@h")
        // A `/` or `@` in a password written without percent-encoding: shown whole, or mostly, before.
        #expect(RedisEndpoint.masked("redis://:top/secret@h:7") == "redis://:***@h:7")
        #expect(RedisEndpoint.masked("redis://:p@ss:w/rd#1%@h:7/2") == "redis://:***@h:7/2")
        #expect(RedisEndpoint.masked("redis+cluster://:top/secret@a:1,b:2/1") == "redis+cluster://:***@a:1,b:2/1")
        #expect(RedisEndpoint.masked("redis://h:7/0") == "redis://h:7/0")
        // An `@` in the path (no database number, so the URL is refused anyway) masks too much, which is harmless.
        #expect(RedisEndpoint.masked("redis://h/a@b") == "redis://***@b")
        #expect(throws: RedisURLError.self) { try RedisEndpoint(url: "redis://alice:s3cret@h:99999") }
        do {
            _ = try RedisEndpoint(url: "redis://alice:s3cret@h:99999")
        } catch {
            #expect(!error.message.contains("s3cret") && error.message.contains("alice:***@h:99999"), "\(error)")
        }
    }
}

@Suite struct BackoffTests {
    @Test func ceilingsDoubleUpToTheMaximum() {
        let backoff = Backoff(initial: .milliseconds(25), maximum: .seconds(2))
        #expect((1...9).map { backoff.ceiling(attempt: $0) } == [25, 50, 100, 200, 400, 800, 1600, 2000, 2000].map { Duration.milliseconds($0) })
    }

    @Test func delaysStayInTheUpperHalfOfTheCeiling() {
        let backoff = Backoff()
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...12 {
            let ceiling = backoff.ceiling(attempt: attempt)
            for _ in 0..<200 {
                let delay = backoff.delay(attempt: attempt, using: &generator)
                #expect(delay >= ceiling / 2 && delay <= ceiling)
            }
        }
    }
}
