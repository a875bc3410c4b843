#!/usr/bin/env python3
"""A minimal OTLP/HTTP trace receiver for the tracing tests and the tracing benchmark.

Accepts `POST /v1/traces` with an `application/x-protobuf` ExportTraceServiceRequest, answers with an empty
ExportTraceServiceResponse, and appends one JSON object per received span to the spans file (ids as lowercase hex,
attributes flattened to their values, booleans as "true" and "false"). With --discard it only counts spans, which is what the benchmark needs.
It serves one connection at a time, keep-alive or not, with a `Content-Length` body: what ticketd's exporter sends.

    otlp_receiver.py --port 4318 --spans spans.jsonl [--discard]
"""
import argparse
import json
import socket
import sys

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


def read_request(connection, pending):
    """One HTTP/1.1 request from `connection`: (path, headers, body, rest read past it), or None at the end."""
    while b"\r\n\r\n" not in pending:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        pending += chunk
    head, _, pending = pending.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = bytearray(pending)
    while len(body) < length:
        chunk = connection.recv(max(length - len(body), 65536))
        if not chunk:
            return None
        body += chunk
    rest = bytes(body[length:])
    del body[length:]
    return request_line.split(" ")[1], headers, bytes(body), rest


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--spans", required=True, help="file the spans are appended to, one JSON object a line")
    parser.add_argument("--discard", action="store_true", help="count spans only")
    options = parser.parse_args()
    output = open(options.spans, "a", buffering=1)  # line-buffered: a reader sees whole lines
    response = ExportTraceServiceResponse().SerializeToString()
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: %d\r\n\r\n" % len(response) + response
    not_found = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    received = 0

    def receive(body):
        """Counts the spans of one export, and writes them out unless discarding."""
        nonlocal received
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

    # One connection at a time, on this thread: ticketd's exporter sends one export at a time, each on a connection
    # of its own. Python's http.server, with a thread and a header parser per connection, cost the benchmark's machine
    # twice the CPU per span.
    server = socket.create_server(("127.0.0.1", options.port), backlog=64)
    print(f"listening on 127.0.0.1:{options.port}", flush=True)
    while True:
        connection, _ = server.accept()
        with connection:
            pending = b""
            while (request := read_request(connection, pending)) is not None:
                path, headers, body, pending = request
                if path != "/v1/traces":
                    connection.sendall(not_found)
                else:
                    receive(body)
                    connection.sendall(answer)
                if headers.get("connection", "").lower() == "close":
                    break


if __name__ == "__main__":
    sys.exit(main())
