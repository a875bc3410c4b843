import Synchronization
import TicketCore

/// The local journal of fallback sales, with group commit: every sale waits until it is on disk (`fsync`), and
/// the sales that arrive while one write is under way share the next one.
///
/// One writer at a time, in the order of the calls: an ``append(_:)`` and a ``replace(with:)`` never interleave.
final class FallbackJournal: Sendable {
    private enum Operation {
        case append([UInt8], CheckedContinuation<Void, any Error>)
        case replace(@Sendable () -> [Purchase], CheckedContinuation<Void, any Error>)
    }

    private struct State {
        var queued: [Operation] = []
        var writing = false
    }

    private let files: FallbackFiles
    private let state = Mutex(State())

    init(files: FallbackFiles) { self.files = files }

    /// Appends `sale` and returns once it is on disk.
    /// - Throws: ``FallbackStorageError`` when the write or the `fsync` fails; the sale must not be acknowledged.
    func append(_ sale: Purchase) async throws {
        let line = FallbackFiles.journalLine(sale)
        try await withCheckedThrowingContinuation { continuation in self.enqueue(.append(line, continuation)) }
    }

    /// Replaces the journal with the sales `unsettled` returns, and returns once that is on disk.
    ///
    /// `unsettled` is asked when the replacement is written, after every append queued before it: a sale is in
    /// memory before its append is queued, so each sale whose append is already on disk is in the answer, and
    /// each later one is appended after. (Asked at the call instead, a sale made between the call and the write
    /// was appended, acknowledged, then wiped from the file.)
    func replace(with unsettled: @escaping @Sendable () -> [Purchase]) async throws {
        try await withCheckedThrowingContinuation { continuation in self.enqueue(.replace(unsettled, continuation)) }
    }

    private func enqueue(_ operation: Operation) {
        let start = self.state.withLock { state in
            state.queued.append(operation)
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        if start { Task { await self.drain() } }
    }

    /// Writes everything queued, in order, until the queue is empty: consecutive appends as one write + `fsync`.
    private func drain() async {
        while true {
            let batch: [Operation] = self.state.withLock { state in
                let batch = state.queued
                state.queued = []
                if batch.isEmpty { state.writing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            var index = 0
            while index < batch.count {
                var bytes: [UInt8] = []
                var waiting: [CheckedContinuation<Void, any Error>] = []
                let isReplace: Bool
                if case .replace(let unsettled, let continuation) = batch[index] {
                    bytes = unsettled().flatMap(FallbackFiles.journalLine)
                    waiting = [continuation]
                    isReplace = true
                    index += 1
                } else {
                    isReplace = false
                    while index < batch.count, case .append(let line, let continuation) = batch[index] {
                        bytes += line
                        waiting.append(continuation)
                        index += 1
                    }
                }
                do {
                    if isReplace {
                        try await self.files.replaceJournal(bytes)
                    } else {
                        try await self.files.appendJournal(bytes)
                    }
                    for continuation in waiting { continuation.resume() }
                } catch {
                    for continuation in waiting { continuation.resume(throwing: error) }
                }
            }
        }
    }
}
