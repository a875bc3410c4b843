import HTTPTypes
import Hummingbird

/// Registers routes on a router (or group) and remembers their methods, so that each known path answers other
/// methods with 405 and an `Allow` header rather than Hummingbird's 404.
struct RouteTable<Methods: RouterMethods<AppRequestContext>> {
    /// The methods a path can be asked for with a 405 answer; HEAD is left to the router's auto-generated HEAD
    /// routes when the path has GET. TRACE and QUERY (the safe method with a body, RFC draft) are here too: without
    /// them a known path answered them with 404 (found by schemathesis). CONNECT is not: its request target is an
    /// authority, never one of these paths.
    static var methods: [HTTPRequest.Method] { [.get, .head, .post, .put, .patch, .delete, .options, .trace, .query] }

    let router: Methods
    private var allowed: [(path: String, methods: [HTTPRequest.Method])] = []

    init(router: Methods) {
        self.router = router
    }

    /// Adds a route.
    mutating func add(
        _ method: HTTPRequest.Method,
        _ path: String,
        use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> some ResponseGenerator
    ) {
        self.router.on(RouterPath(path), method: method, use: handler)
        if let index = self.allowed.firstIndex(where: { $0.path == path }) {
            self.allowed[index].methods.append(method)
        } else {
            self.allowed.append((path, [method]))
        }
    }

    /// Makes every other method of each added path answer 405 with `Allow`.
    func addMethodNotAllowedResponders() {
        for (path, methods) in self.allowed {
            var allow = methods
            if methods.contains(.get), !methods.contains(.head) { allow.append(.head) }
            let allowHeader = allow.map(\.rawValue).joined(separator: ", ")
            for method in Self.methods where !allow.contains(method) {
                self.router.on(RouterPath(path), method: method) { request, _ -> Response in
                    throw Problem(
                        .methodNotAllowed,
                        detail: "\(RequestPath.quoted(request)) does not support \(request.method); it supports \(allowHeader)",
                        headers: [.allow: allowHeader]
                    )
                }
            }
        }
    }

    /// Makes every method of `path` (a wildcard, typically) answer 404 ``ProblemType/routeNotFound``, after this
    /// router's middleware has run.
    func addNotFound(_ path: String) {
        for method in Self.methods {
            self.router.on(RouterPath(path), method: method) { request, _ -> Response in
                throw Problem(.routeNotFound, detail: "no route for \(request.method) \(RequestPath.quoted(request))")
            }
        }
    }
}

extension HTTPRequest.Method {
    /// `QUERY`: a safe, idempotent request with a body (IETF draft "The HTTP QUERY Method").
    static let query = HTTPRequest.Method("QUERY")!
}
