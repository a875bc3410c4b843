import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import TicketHTTP

@Suite struct BodyReaderTests {
    /// A body that declares no length (sent chunked) and runs over the limit is the same `413` problem as one whose
    /// `Content-Length` is over it, and closes the connection: it was Hummingbird's bare `413` (`about:blank`), and
    /// the connection stayed open with the rest of the body unread.
    @Test func anUndeclaredBodyOverTheLimitIsTheContentTooLargeProblem() async throws {
        let request = Request(
            head: HTTPRequest(method: .post, scheme: "http", authority: "ticketd", path: "/buy/1"),
            body: RequestBody(buffer: ByteBuffer(repeating: UInt8(ascii: "x"), count: 100))
        )
        let error = await #expect(throws: Problem.self) { try await BodyReader.collect(request, upTo: 64) }
        #expect(error?.type == .contentTooLarge)
        #expect(error?.headers[.connection] == "close")
    }

    @Test func aBodyWithinTheLimitIsRead() async throws {
        let request = Request(
            head: HTTPRequest(method: .post, scheme: "http", authority: "ticketd", path: "/buy/1"),
            body: RequestBody(buffer: ByteBuffer(string: #"{"userId":"alice"}"#))
        )
        let body = try await BodyReader.collect(request, upTo: 64)
        #expect(String(buffer: body) == #"{"userId":"alice"}"#)
    }
}
