#!/usr/bin/env python3
"""A minimal OTLP/HTTP trace receiver for the tracing tests and the tracing benchmark.

Accepts `POST /v1/traces` with an `application/x-protobuf` ExportTraceServiceRequest, answers with an empty
ExportTraceServiceResponse, and appends one JSON object per received span to the spans file (ids as lowercase hex,
attributes flattened to their values, booleans as "true" and "false"). With --discard it only counts spans, which is what the benchmark needs.

    otlp_receiver.py --port 4318 --spans spans.jsonl [--discard]
"""
import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def value_of(any_value):
    """The Python value of an OTLP AnyValue."""
    kind = any_value.WhichOneof("value")
    if kind == "bool_value":
        # As text, as the Swift side reads every value: JSON's true would reach it as a number.
        return "true" if any_value.bool_value else "false"
    if kind == "array_value":
        return [value_of(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value_of(kv.value) for kv in any_value.kvlist_value.values}
    return getattr(any_value, kind) if kind else None


def span_record(resource, span):
    """One span as a JSON-ready dictionary."""
    return {
        "service": next((value_of(kv.value) for kv in resource.attributes if kv.key == "service.name"), None),
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_span_id": span.parent_span_id.hex(),
        "name": span.name,
        "kind": span.kind,
        "status_code": span.status.code,
        "attributes": {kv.key: value_of(kv.value) for kv in span.attributes},
        "links": [{"trace_id": link.trace_id.hex(), "span_id": link.span_id.hex()} for link in span.links],
        "start": span.start_time_unix_nano,
        "end": span.end_time_unix_nano,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--spans", required=True, help="file the spans are appended to, one JSON object a line")
    parser.add_argument("--discard", action="store_true", help="count spans only")
    options = parser.parse_args()
    output = open(options.spans, "a", buffering=1)  # line-buffered: a reader sees whole lines
    response = ExportTraceServiceResponse().SerializeToString()
    received = 0

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            nonlocal received
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != "/v1/traces":
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            request = ExportTraceServiceRequest.FromString(body)
            lines = []
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    received += len(scope_spans.spans)
                    if not options.discard:
                        lines += [json.dumps(span_record(resource_spans.resource, s)) for s in scope_spans.spans]
            if options.discard:
                with open(options.spans, "w") as count:
                    count.write(f"{received}\n")
            elif lines:
                output.write("\n".join(lines) + "\n")
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    print(f"listening on 127.0.0.1:{options.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
