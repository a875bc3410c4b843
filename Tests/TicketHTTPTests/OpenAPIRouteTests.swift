import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TicketHTTP

@Suite struct OpenAPIRouteTests {
    /// The repository's `openapi.yaml`, read through the link at the top of the repository.
    static let repositoryDocument = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("openapi.yaml")

    @Test func servesTheRepositoryDocumentAsYAML() async throws {
        let expected = try String(contentsOf: Self.repositoryDocument, encoding: .utf8)
        #expect(expected.hasPrefix("openapi: 3.1"))
        try await TestApp().test { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/yaml")
                #expect(response.text == expected)
            }
        }
    }

    /// Release binaries reported version `dev`: the default is the release the document states.
    @Test func theDocumentStatesTheReleaseTheServerReports() throws {
        let document = try String(contentsOf: Self.repositoryDocument, encoding: .utf8)
        #expect(document.contains("\ninfo:\n  title: ticketd\n  version: \(AppConfiguration.release)\n"))
    }

    @Test func otherMethodsAreNotAllowed() async throws {
        try await TestApp().test { client in
            try await client.execute(uri: "/openapi.yaml", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
            }
        }
    }
}
