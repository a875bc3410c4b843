import HTTPTypes
import Hummingbird
import Logging
import TicketCore
import Tracing

/// A server span per request when tracing is on (``AppConfiguration/tracing``): it continues an incoming W3C
/// `traceparent`, is named after the matched route, and records the method, path (and query), route and status. A
/// request whose span records (a sampled one) also names its trace to the caller and in the logs: the response's
/// `traceresponse` header (W3C Trace Context level 2: `00-<trace id>-<span id>-<flags>`, the server span's own ids)
/// and `trace_id` on every log line of the request: its context is marked with its `traceparent`, which
/// ``TraceIDMetadata`` reads when a line is written.
///
/// Hummingbird's `TracingMiddleware` does the same but builds its attributes, its span name and a closure around the
/// response body for every request, recorded or not; with a 1 % sampler that is 99 requests in 100 paying for
/// attributes the tracer throws away. Here an unsampled request costs the tracer's sampling decision and nothing
/// more: its span's context still becomes the current one, so that the work under it is not sampled either, marked
/// (``InstrumentationContext/marked(recording:traceparent:)``) so that the purchase and its Redis call see at once
/// that nothing records, without asking the tracer. With a ``RootSampler``, a request without a valid `traceparent`
/// that it does not sample skips even that: it runs without a span or a current context, as with tracing off.
///
/// It reads the span's ids back through the tracer's own propagation, so it knows nothing of the tracer behind it.
struct RequestTracingMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// The tracer, looked up once: `InstrumentationSystem.tracer` takes a lock and casts the bootstrapped instrument
    /// on every call, a cost the profile showed per request.
    let tracer: any Tracer
    /// Decides for requests without a `traceparent` before the tracer is asked, when set.
    let rootSampler: RootSampler?

    /// Creates the middleware on `tracer`; bootstrap the instrumentation system before building the router.
    init(tracer: any Tracer = InstrumentationSystem.tracer, rootSampler: RootSampler? = nil) {
        self.tracer = tracer
        self.rootSampler = rootSampler
    }

    /// The body size from which a response's span lasts until its body is written.
    static let streamedBodySize = 64 * 1024

    /// Room for a server span's attributes: method, path, route, status and the handler's two (a purchase's event and
    /// purchase ids); a query, rare, grows it. Six fill a dictionary of eight buckets, 584 bytes; a seventh doubles it
    /// to 1096, past the 1032 bytes that glibc's per-thread cache serves without its locked arena.
    static let attributeCapacity = 6

    /// The span's name until a route matches; a request that matches none keeps it.
    static let unmatchedName = "HTTP request, no route"

    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var parent = InstrumentationContext.current ?? .topLevel
        if let sampler = self.rootSampler {
            // Only a `traceparent` the tracer reads continues a trace; anything else starts a new one, the root
            // sampler's to decide: before, any `traceparent` at all, `garbage` included, went past a 1 % sampler, and
            // the tracer sampled the new trace it started. Without the header, the tracer is not asked.
            let continues = request.headers[.traceparent] != nil && self.extractAddsTo(&parent, from: request.headers)
            if !continues, !sampler.samples() { return try await next(request, context) }
        } else {
            self.tracer.extract(request.headers, into: &parent, using: HTTPFieldsExtractor())
        }
        let span = self.tracer.startSpan(Self.unmatchedName, context: parent, ofKind: .server)
        guard span.isRecording else {
            defer { span.end() }
            return try await InstrumentationContext.$current.withValue(span.context.marked(recording: false)) {
                try await next(request, context)
            }
        }
        // The span records. This stays in one function, with the answer's work in a synchronous one: each async
        // function is a frame that every request in flight holds through its wait, with its own copies of the request.
        var context = context
        context.recordingSpan = span
        let traceparent = self.traceparent(of: span.context)
        let response: Response
        do {
            response = try await InstrumentationContext.$current.withValue(span.context.marked(recording: true, traceparent: traceparent)) {
                try await next(request, context)
            }
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            Self.describe(span, request: request, route: Self.route(of: context), status: status)
            span.recordError(error)
            span.end()
            throw error
        }
        return Self.finish(span, response: response, request: request, route: Self.route(of: context), traceparent: traceparent)
    }

    /// The route the request matched, or `nil` for none: Hummingbird's router names a request that matches none
    /// `NotFound`, which is no route (`http.route` is a path template) and so not a span name either.
    private static func route(of context: AppRequestContext) -> String? {
        context.endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil }
    }

    /// Extracts the trace context of `headers` into `context`; whether the tracer read one (the context gained an
    /// entry). A request starts with no trace context of its own, so what the tracer reads is always an addition.
    private func extractAddsTo(_ context: inout InstrumentationContext, from headers: HTTPFields) -> Bool {
        let entries = context.count
        self.tracer.extract(headers, into: &context, using: HTTPFieldsExtractor())
        return context.count > entries
    }

    /// Describes the answer of a request whose `span` records, names its trace in `traceresponse`, and ends the span
    /// or, for a streamed body, hands it to the body to end once written.
    private static func finish(
        _ span: any Span,
        response: consuming Response,
        request: Request,
        route: String?,
        traceparent: String?
    ) -> Response {
        Self.describe(span, request: request, route: route, status: response.status)
        if let traceparent { response.headers[.traceresponse] = traceparent }
        // A small body, such as every JSON answer, is written right after the handler returns; wrapping it to end the
        // span after the write would turn it into a closure body, which Hummingbird writes in three steps (head, body,
        // end) instead of one batched write: that cost each traced purchase more than all its spans. So the span
        // ends here. A body of unknown or large size streams (a file), and its span ends once it is written, as
        // Hummingbird's does.
        guard response.body.contentLength.map({ $0 >= Self.streamedBodySize }) ?? true else {
            span.end()
            return response
        }
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { span.end() }
            try await body.write(writer)
        }
        return response
    }

    /// Names the span after its route and records the request's attributes with the outcome's, beside those the
    /// handler set; a 5xx marks it failed.
    ///
    /// The user agent and the body sizes, which OpenTelemetry's HTTP conventions leave recommended or opt-in, are not
    /// recorded: the one is a string of the client's choosing on every span, and with them a purchase's span outgrew
    /// ``attributeCapacity``. Dropping them, and the purchase id of the Redis span, gained 4.7 % in traced purchases/s
    /// over six alternating runs of each.
    ///
    /// The attributes are gathered once the handler has answered, not before: a dictionary built before would be held
    /// through the handler's wait by every request in flight, some five thousand at a time. Changing a span's
    /// attributes in place copies every one of them (`Span` has no mutating accessor): the request's go in with the
    /// handler's in one step, which copies none. They are set as `SpanAttribute`s: the subscript takes an existential
    /// `SpanAttributeConvertible` and converts it.
    private static func describe(
        _ span: any Span,
        request: Request,
        route: String?,
        status: HTTPResponse.Status
    ) {
        if let route { span.operationName = route }
        var attributes = SpanAttributes()
        attributes.reserveCapacity(Self.attributeCapacity)
        attributes.set("http.request.method", value: .string(request.method.rawValue))
        attributes.set("url.path", value: .string(request.uri.path))
        if let query = request.uri.query { attributes.set("url.query", value: .string(query)) }
        if let route { attributes.set("http.route", value: .string(route)) }
        attributes.set("http.response.status_code", value: .int64(Int64(status.code)))
        span.updateAttributes { handlers in
            attributes.merge(handlers)
            handlers = attributes
        }
        if status.kind == .serverError { span.setStatus(SpanStatus(code: .error)) }
    }

    /// The `traceparent` the instrument would send on for `context`, or `nil` when it names no span.
    func traceparent(of context: InstrumentationContext) -> String? {
        var carrier = TraceParentCarrier()
        self.tracer.inject(context, into: &carrier, using: TraceParentCarrier.Injector())
        return carrier.traceparent
    }
}

/// Reads an incoming trace context (`traceparent`, `tracestate`) from the request's header fields.
private struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from fields: HTTPFields) -> String? {
        guard let name = HTTPField.Name(key) else { return nil }
        return fields[name]
    }
}

/// Keeps only the `traceparent` an instrument injects: the one value the response and the logs need.
private struct TraceParentCarrier {
    var traceparent: String?

    struct Injector: Tracing.Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout TraceParentCarrier) {
            if key == "traceparent" { carrier.traceparent = value }
        }
    }
}
