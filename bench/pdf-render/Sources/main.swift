// PDFRenderBench: renders the same ticket many times on one thread, for a Latin, a Cyrillic and a Greek buyer,
// and prints PDFs per CPU-second (this thread's CPU time) and bytes per PDF. It measures `TicketRenderer.render`
// alone: no file write, no ledger, no thread pool (`bench/pdf/run.sh` measures the whole pipeline under load).
//
//   PDFRenderBench [--count 2000] [--out DIR]    (--out writes one sample PDF per buyer into DIR)
//
// A benchmark, not a test: it prints figures and exits 0.

import Glibc
import TicketPDF

var count = 2_000
var outputDirectory: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    switch flag {
    case "--count": count = arguments.next().flatMap { Int($0) } ?? count
    case "--out": outputDirectory = arguments.next()
    default:
        print("usage: PDFRenderBench [--count N] [--out DIR]")
        exit(64)
    }
}

/// This thread's CPU time in seconds.
func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

let buyers = [("latin", "Zoë Ñúñez"), ("cyrillic", "Ольга Петрова"), ("greek", "Σοφία Παπαδοπούλου"), ("ascii", "alice")]
do {
    let renderer = try TicketRenderer()
    for (script, buyer) in buyers {
        let content = TicketContent(
            eventName: "Summer Fest 2026",
            venue: "Hall 7",
            startsAt: "2026-12-26 20:00 UTC",
            eventID: "1",
            ticketID: "4711",
            purchaseID: "acks58z8q1sy3dv7wj733f3krm",
            buyer: buyer,
            purchasedAt: "2026-11-26 12:53:53 UTC",
            token: "eyJwIjoiYWNrczU4ejhxMXN5M2R2N3dqNzMzZjNrcm0iLCJ0IjoiNDcxMSIsImUiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlMDEy"
        )
        var bytes = try renderer.render(content)  // warm-up
        if let outputDirectory {
            let path = "\(outputDirectory)/\(script).pdf"
            if let file = fopen(path, "wb") {
                _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
                fclose(file)
            }
        }
        let start = threadCPUSeconds()
        var total = 0
        for _ in 0..<count {
            bytes = try renderer.render(content)
            total += bytes.count
        }
        let cpu = threadCPUSeconds() - start
        let rate = Double(count) / cpu
        print("\(script) (\(buyer)): \(Int(rate.rounded())) PDFs per CPU-second, \(total / count) bytes per PDF")
    }
} catch {
    print("render failed: \(error)")
    exit(1)
}
