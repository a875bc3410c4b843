// What the framework costs at 5000 connections before ticketd adds anything: the figures that ticketd's goals
// (purchases at 0.8x of the no-op route, 100 MB at 5000 connections, tracing at 0.9x of off) can be held against.
// Run by bench/floor/run.sh (`make bench-floor`), one server per run, chosen by the environment:
//
//   FLOOR_SERVER=nio          a SwiftNIO HTTP/1 server that answers every request with "ok" from a channel
//                             handler: no task per connection
//   FLOOR_SERVER=hummingbird  Hummingbird with no middleware: GET /livez answers "ok"; POST /hop waits for one
//                             continuation resumed from an event loop (what any call to a backend costs at least)
//                             and answers 201 with a body the size of a purchase's
//   FLOOR_TRACING=1           with FLOOR_SERVER=hummingbird: a server span per request and a client span around
//                             /hop's wait, from a tracer that records them (``FloorTracer``) and exports nothing
//
// PORT (3071) is the port on 127.0.0.1. run.sh raises the open-files limit to its hard limit before it starts the
// server, as ticketd does in-process, so that 5000 connections fit.
import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import Tracing

let environment = ProcessInfo.processInfo.environment
let port = environment["PORT"].flatMap { Int($0) } ?? 3071
switch environment["FLOOR_SERVER"] ?? "hummingbird" {
case "nio":
    try await NoOpNIOServer.run(port: port)
case "hummingbird":
    try await FloorApplication.run(port: port, tracing: environment["FLOOR_TRACING"] == "1")
case let other:
    fatalError("FLOOR_SERVER must be nio or hummingbird, not \(other)")
}
