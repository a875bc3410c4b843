import Tracing

/// An OTLP `ExportTraceServiceRequest` (opentelemetry-proto, `collector/trace/v1`) in protobuf: one resource, one
/// instrumentation scope, and the spans of one export, encoded as they ended (``SpanBuffer``).
enum OTLPTraceRequest {
    /// The protobuf bytes of a request carrying `spans` of the resource described by `resource`.
    static func encode(_ spans: SpanBuffer.EncodedSpans, resource: [(key: String, value: SpanAttribute)], scope: String) -> [UInt8] {
        var request = ProtobufWriter(capacity: 256 + spans.bytes.count)
        request.message(1) { resourceSpans in  // ExportTraceServiceRequest.resource_spans
            resourceSpans.message(1) { message in  // ResourceSpans.resource
                for (key, value) in resource { message.keyValue(1, key, value) }  // Resource.attributes
            }
            resourceSpans.message(2) { scopeSpans in  // ResourceSpans.scope_spans
                scopeSpans.message(1) { $0.string(1, scope) }  // ScopeSpans.scope, InstrumentationScope.name
                scopeSpans.append(encoded: spans.bytes)  // ScopeSpans.spans
            }
        }
        return request.bytes
    }
}

extension ProtobufWriter {
    /// One span as a `ScopeSpans.spans` field.
    mutating func scopeSpan(_ span: FinishedSpan) {
        self.message(2) { $0.span(span) }
    }

    /// The fields of one `Span`.
    private mutating func span(_ span: FinishedSpan) {
        self.bytes(1, bigEndian: span.context.traceID.high, span.context.traceID.low)
        self.bytes(2, bigEndian: span.context.spanID.value)
        if let traceState = span.context.traceState { self.string(3, traceState) }
        if let parent = span.parentSpanID { self.bytes(4, bigEndian: parent.value) }
        self.string(5, span.name)
        self.varint(6, span.kind.otlpValue)
        self.fixed64(7, span.startNanoseconds)
        self.fixed64(8, span.endNanoseconds)
        // `SpanAttributes` is no `Sequence`: `forEach` is its one way through its entries.
        // swift-format-ignore: ReplaceForEachWithForLoop
        span.attributes.forEach { key, value in self.keyValue(9, key, value) }
        for event in span.events {
            self.message(11) { message in
                message.fixed64(1, event.nanosecondsSinceEpoch)
                message.string(2, event.name)
                // swift-format-ignore: ReplaceForEachWithForLoop
                event.attributes.forEach { key, value in message.keyValue(3, key, value) }
            }
        }
        for link in span.links {
            guard let linked = link.context.traceContext else { continue }
            self.message(13) { message in
                message.bytes(1, bigEndian: linked.traceID.high, linked.traceID.low)
                message.bytes(2, bigEndian: linked.spanID.value)
                if let traceState = linked.traceState { message.string(3, traceState) }
                // swift-format-ignore: ReplaceForEachWithForLoop
                link.attributes.forEach { key, value in message.keyValue(4, key, value) }
                message.fixed32(6, linked.sampled ? 1 : 0)
            }
        }
        if let status = span.status {
            self.message(15) { message in
                if let text = status.message { message.string(2, text) }
                message.varint(3, status.code == .ok ? 1 : 2)
            }
        }
        self.fixed32(16, span.context.sampled ? 1 : 0)  // W3C trace flags
    }

    /// A `KeyValue` message in `field`.
    mutating func keyValue(_ field: Int, _ key: String, _ value: SpanAttribute) {
        self.message(field) { message in
            message.string(1, key)
            message.message(2) { $0.anyValue(value) }
        }
    }

    /// The fields of an `AnyValue` holding `value`; arrays become an `ArrayValue` of their elements.
    private mutating func anyValue(_ value: SpanAttribute) {
        switch value {
        case .int32(let int): self.varint(3, UInt64(bitPattern: Int64(int)))
        case .int64(let int): self.varint(3, UInt64(bitPattern: int))
        case .double(let double): self.fixed64(4, double.bitPattern)
        case .bool(let bool): self.varint(2, bool ? 1 : 0)
        case .string(let string): self.string(1, string)
        case .stringConvertible(let value): self.string(1, value.description)
        case .int32Array(let values): self.array(values.map { .int32($0) })
        case .int64Array(let values): self.array(values.map { .int64($0) })
        case .doubleArray(let values): self.array(values.map { .double($0) })
        case .boolArray(let values): self.array(values.map { .bool($0) })
        case .stringArray(let values): self.array(values.map { .string($0) })
        case .stringConvertibleArray(let values): self.array(values.map { .string($0.description) })
        default: self.string(1, "\(value)")
        }
    }

    private mutating func array(_ values: [SpanAttribute]) {
        self.message(5) { array in
            for value in values { array.message(1) { $0.anyValue(value) } }
        }
    }
}

extension SpanKind {
    /// The OTLP `Span.SpanKind` number.
    fileprivate var otlpValue: UInt64 {
        switch self {
        case .internal: 1
        case .server: 2
        case .client: 3
        case .producer: 4
        case .consumer: 5
        }
    }
}
