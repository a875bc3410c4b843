import Foundation
import Synchronization
import TicketLoad

/// Prints the progress to standard error: one line rewritten in place on a terminal, a line a second otherwise.
final class ProgressPrinter: Sendable {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let previous = Mutex<ProgressSample?>(nil)

    /// Prints `sample`.
    func show(_ sample: ProgressSample) {
        let line = self.previous.withLock { previous in
            defer { previous = sample }
            return sample.line(since: previous)
        }
        Self.write(self.isTerminal ? "\r\u{1B}[2K" + line : line + "\n")
    }

    /// Ends the in-place line, if there is one.
    func finish() {
        if self.isTerminal, self.previous.withLock({ $0 != nil }) { Self.write("\n") }
        self.previous.withLock { $0 = nil }
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
