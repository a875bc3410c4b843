import NIOCore
import RESPClient

// libFuzzer entry point for RESPDecoder; built and run by Fuzz/run-fuzzer.sh.
//
// For every input it decodes the bytes fed at once, then fed in two halves, and traps when the two disagree: the
// decoder must give the same values, and the same error or leftover, however the bytes are split. Any crash,
// sanitizer report, timeout or runaway allocation inside the decoder is reported by libFuzzer itself.

/// How one feeding of the input ended: the values decoded, then an error or the number of bytes left over.
private struct Outcome {
    var values: [RESPValue] = []
    var error: RESPProtocolError?
    var leftover = 0
}

/// Decodes `chunks` fed one after another, decoding until `nil` after each, stopping at the first error.
private func decode(_ chunks: [UnsafeRawBufferPointer]) -> Outcome {
    var decoder = RESPDecoder()
    var buffer = ByteBuffer()
    var outcome = Outcome()
    do {
        for chunk in chunks {
            buffer.writeBytes(chunk)
            while let value = try decoder.decode(buffer: &buffer) { outcome.values.append(value) }
        }
        while let value = try decoder.decodeLast(buffer: &buffer, seenEOF: true) { outcome.values.append(value) }
        outcome.leftover = buffer.readableBytes
    } catch let error as RESPProtocolError {
        outcome.error = error
    } catch {
        fatalError("RESPDecoder threw a foreign error: \(error)")
    }
    return outcome
}

/// Equality that treats NaN doubles as equal to themselves.
private func same(_ lhs: RESPValue, _ rhs: RESPValue) -> Bool {
    switch (lhs, rhs) {
    case (.double(let left), .double(let right)):
        return left.bitPattern == right.bitPattern
    case (.array(let left), .array(let right)), (.set(let left), .set(let right)), (.push(let left), .push(let right)):
        return left.count == right.count && zip(left, right).allSatisfy { same($0, $1) }
    case (.map(let left), .map(let right)):
        return left.count == right.count && zip(left, right).allSatisfy { same($0.key, $1.key) && same($0.value, $1.value) }
    default:
        return lhs == rhs
    }
}

/// Feeds one fuzzer input to the decoder whole and in two halves, and traps when the results differ.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let whole = decode([bytes])
    let middle = count / 2
    let halves = decode([UnsafeRawBufferPointer(rebasing: bytes[..<middle]), UnsafeRawBufferPointer(rebasing: bytes[middle...])])
    guard whole.values.count == halves.values.count, zip(whole.values, halves.values).allSatisfy({ same($0, $1) }) else {
        fatalError("values differ when split at \(middle): \(whole.values) vs \(halves.values)")
    }
    guard whole.error == halves.error, whole.leftover == halves.leftover else {
        fatalError(
            "outcome differs when split at \(middle): \(String(describing: whole.error)), \(whole.leftover) left vs "
                + "\(String(describing: halves.error)), \(halves.leftover) left"
        )
    }
    return 0
}

// MARK: Entry point

/// libFuzzer's driver, from its public C interface (`FuzzerInterface.h`).
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt
) -> CInt

/// The program's entry point under SwiftPM.
///
/// On Linux SwiftPM links every executable with `--defsym main=<Module>_main`, expecting the renamed `main` of a
/// Swift entry point; this parse-as-library module has none, so that symbol would be missing. Defining it here and
/// handing control to libFuzzer's driver gives the same program libFuzzer's own `main` would (which the linker then
/// leaves out of its archive, as `main` is already defined).
@_cdecl("RESPDecoderFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv, fuzz)
}
