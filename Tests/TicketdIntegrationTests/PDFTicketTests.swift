import Foundation
import RedisTestSupport
import Testing

/// PDF tickets through the real binary: buy, download, read it as a person would, verify its QR code, survive a
/// crash, refuse paths out of the archive, and render again after cleanup.
@Suite(.serialized, .timeLimit(.minutes(5))) struct PDFTicketTests {
    static let adminToken = "integration-admin-token"

    @Test func aBoughtTicketDownloadsReadsAndVerifiesAndSurvivesCrashAndCleanup() async throws {
        let redis = try await RedisServerFixture.start()
        defer { redis.stop() }
        let seeded = try await TicketdProcess.run(["seed", "1", "50"], redisURL: redis.url, directory: redis.directory)
        #expect(seeded.status == 0, "\(seeded.output)")
        let eventName = "Σοφία & Ольга: Zoë Ñúñez live"
        _ = try await redis.command("HSET", "event:{1}:meta", "name", eventName)
        let tickets = redis.directory + "/tickets"
        let environment = [
            "PDF_OUTPUT_DIR": tickets, "TICKET_SIGNING_KEY": "integration tests signing key", "ADMIN_TOKEN": Self.adminToken, "PDF_WORKERS": "2",
        ]
        var server = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory, environment: environment)
        var client = RawHTTPClient(host: "127.0.0.1", port: server.port)

        // Twenty sales; the background renders every one.
        var purchases: [String] = []
        for index in 0..<20 {
            let response = try await client.send("POST", "/buy/1", headers: [("X-User-Id", "buyer-\(index)")])
            #expect(response.status == 201, "\(response.body)")
            let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
            purchases.append(try #require(json?["purchaseId"] as? String))
        }
        try await waitUntil(timeout: .seconds(60), "every sale has its PDF") { Self.files(in: tickets).count == 20 }

        // Download one and read it the way a person would.
        let id = purchases[7]
        let download = try await client.send("GET", "/tickets/\(id)")
        #expect(download.status == 200 && download.head.lowercased().contains("content-type: application/pdf"), "\(download.head)")
        let path = redis.directory + "/downloaded.pdf"
        try Data(download.bodyBytes).write(to: URL(fileURLWithPath: path))
        let text = try await ExternalTool.text(ofPDF: path)
        for field in [eventName, "Hall 1", "UTC", "buyer-7", id, "TICKET", "8"] {
            #expect(text.contains(field), "\(field) in:\n\(text)")
        }
        let token = try #require(try await ExternalTool.qrCodes(inPDF: path).first)
        let verified = try await client.send(
            "POST",
            "/tickets/verify",
            headers: [("Content-Type", "application/json")],
            body: #"{"token":"\#(token)"}"#
        )
        #expect(verified.status == 200 && verified.body.contains(#""valid":true"#) && verified.body.contains(id), "\(verified.body)")
        var tampered = Array(token)
        tampered[tampered.count / 2] = tampered[tampered.count / 2] == "A" ? "B" : "A"
        let refused = try await client.send(
            "POST",
            "/tickets/verify",
            headers: [("Content-Type", "application/json")],
            body: #"{"token":"\#(String(tampered))"}"#
        )
        #expect(refused.status == 200 && refused.body.contains(#""valid":false"#), "\(refused.body)")

        // Nothing outside the archive can be named.
        for attack in [
            "/tickets/../../etc/passwd", "/tickets/..%2F..%2Fetc%2Fpasswd", "/tickets/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/tickets/%2e%2e",
            "/tickets/%00", "/tickets/\(id)%00.pdf", "/tickets//etc/passwd", "/tickets/%2Fetc%2Fpasswd",
        ] {
            let response = try await client.send("GET", attack)
            #expect([400, 404].contains(response.status), "\(attack): \(response.status)")
            #expect(!response.body.contains("root:"), "\(attack) leaked a file")
        }
        #expect(try await client.send("GET", "/tickets/0000000000000000000000000z").status == 404)

        // A crash loses queued work, never a ticket: with every file gone, a restart's ledger scan renders them all.
        server.process.killAndWait()
        FreePort.release(server.port)
        try FileManager.default.removeItem(atPath: tickets)
        server = try await TicketdProcess.serve(redisURL: redis.url, directory: redis.directory, environment: environment)
        defer { server.stop() }
        client = RawHTTPClient(host: "127.0.0.1", port: server.port)
        try await waitUntil(timeout: .seconds(60), "the restart renders the backlog") { Self.files(in: tickets).count == 20 }

        // Cleanup deletes the files; a download renders the same ticket again.
        let before = try await client.send("GET", "/tickets/\(id)").bodyBytes
        let admin = [("Authorization", "Bearer \(Self.adminToken)")]
        let cleaned = try await client.send("POST", "/admin/cleanup-tickets?maxAgeHours=0", headers: admin)
        #expect(cleaned.status == 200 && cleaned.body.contains(#""deleted":20"#), "\(cleaned.body)")
        #expect(Self.files(in: tickets).isEmpty)
        let after = try await client.send("GET", "/tickets/\(id)")
        #expect(after.status == 200 && after.bodyBytes == before, "the same ticket, byte for byte")
        let stats = try await client.send("GET", "/admin/pdf-stats", headers: admin)
        #expect(stats.status == 200 && stats.body.contains(#""files":1"#), "\(stats.body)")
        let metrics = try await client.send("GET", "/metrics")
        #expect(metrics.body.contains("ticketd_pdf_rendered_total") && metrics.body.contains("ticketd_pdf_backlog"))
    }

    /// The PDF files under `root`, in every shard.
    static func files(in root: String) -> [String] {
        let shards = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return shards.flatMap { shard in
            ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + shard)) ?? []).filter { $0.hasSuffix(".pdf") }
        }
    }
}
