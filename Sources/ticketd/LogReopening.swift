import Dispatch
import Logging
import TicketHTTP

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP reopens `LOG_FILE`, as logrotate's `postrotate` (or anyone) asks after renaming it, and nothing else.
///
/// A hang-up signal's default is to end the process at once: logrotate's hook, a closing terminal or a supervisor
/// killed the server without its graceful stop, which gives the escrow back, and its escrowed tickets stayed out
/// of sale until it came back or the escrow was released (found by black-box testing).
enum LogReopening {
    /// Handles SIGHUP from now on by reopening `output`'s file; cancel the returned source to stop (the signal is
    /// then still ignored).
    static func onHangUp(_ output: LogOutput, logger: Logger) -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler {
            guard let path = output.filePath else {
                logger.notice("SIGHUP: no LOG_FILE to reopen; ignored")
                return
            }
            do {
                try output.reopenFile()
                logger.notice("SIGHUP: LOG_FILE reopened", metadata: ["log_file": "\(path)"])
            } catch {
                logger.error(
                    "SIGHUP: LOG_FILE cannot be reopened; lines go on to the file opened before",
                    metadata: ["log_file": "\(path)", "error": "\(error)"]
                )
            }
        }
        source.resume()
        return source
    }
}
