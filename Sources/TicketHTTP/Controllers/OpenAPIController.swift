import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /openapi.yaml`: the OpenAPI 3.1 document of every route, as compiled into the binary from
/// `Sources/TicketHTTP/Resources/openapi.yaml` (the repository's `openapi.yaml` is a link to that file).
struct OpenAPIController: Sendable {
    /// The media type of YAML (RFC 9512).
    static let contentType = "application/yaml"

    @Sendable func document(_ request: Request, context: AppRequestContext) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: Self.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml))
        )
    }
}
