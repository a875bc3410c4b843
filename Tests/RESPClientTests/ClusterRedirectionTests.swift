import Testing

@testable import RESPClient

/// U11: `MOVED` and `ASK` replies, read or refused.
@Suite struct ClusterRedirectionTests {
    @Test func moved() throws {
        let redirection = try #require(ClusterRedirection(errorMessage: "MOVED 3999 127.0.0.1:6381"))
        #expect(redirection.kind == .moved)
        #expect(redirection.slot == HashSlot(rawValue: 3999))
        #expect(redirection.host == "127.0.0.1")
        #expect(redirection.port == 6381)
    }

    @Test func ask() throws {
        let redirection = try #require(ClusterRedirection(errorMessage: "ASK 3999 10.0.0.5:7000"))
        #expect(redirection.kind == .ask)
        #expect(redirection.host == "10.0.0.5")
        #expect(redirection.port == 7000)
    }

    @Test func ipv6HostIsSplitAtTheLastColon() throws {
        let redirection = try #require(ClusterRedirection(errorMessage: "MOVED 1 ::1:7000"))
        #expect(redirection.host == "::1")
        #expect(redirection.port == 7000)
        let bracketed = try #require(ClusterRedirection(errorMessage: "ASK 1 [fe80::1]:7001"))
        #expect(bracketed.host == "fe80::1")
        #expect(bracketed.port == 7001)
    }

    @Test func emptyHostMeansTheAnsweringNode() throws {
        let redirection = try #require(ClusterRedirection(errorMessage: "MOVED 3999 :6380"))
        #expect(redirection.host == "")
        #expect(redirection.port == 6380)
    }

    @Test(arguments: [
        "ERR unknown command", "MOVED", "MOVED 3999", "MOVED x 127.0.0.1:1", "MOVED 16384 127.0.0.1:1", "MOVED 1 127.0.0.1",
        "MOVED 1 127.0.0.1:0", "MOVED 1 127.0.0.1:abc", "ASK 1 127.0.0.1:1 extra", "NOSCRIPT No matching script. Please use EVAL.",
        "TRYAGAIN Multiple keys request during rehashing of slot",
    ])
    func garbageIsNoRedirection(_ message: String) {
        #expect(ClusterRedirection(errorMessage: message) == nil)
    }
}
