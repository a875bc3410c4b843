import Foundation

/// Runs the command-line tools a person would use to read a ticket: `pdftotext`, `pdftoppm`, `zbarimg`.
public enum ExternalTool {
    /// A tool exited with a status other than 0.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs `/usr/bin/<tool>` with `arguments` and returns what it printed on standard output.
    /// - Throws: ``Failure`` with its output when it exits with another status than 0.
    public static func run(_ tool: String, _ arguments: [String]) async throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(tool)-\(UUID().uuidString).out").path
        let errors = output + ".err"
        defer {
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(atPath: errors)
        }
        let process = try ChildProcess(executable: "/usr/bin/\(tool)", arguments: arguments, standardOutput: output, standardError: errors)
        let termination = await process.exit()
        let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard termination.status == 0, !termination.signalled else {
            let complaint = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            throw Failure(description: "\(tool) \(arguments.joined(separator: " ")): \(termination): \(complaint)\(printed)")
        }
        return printed
    }

    /// The text of a PDF, in reading order (`pdftotext -layout`).
    public static func text(ofPDF path: String) async throws -> String {
        try await Self.run("pdftotext", ["-layout", path, "-"])
    }

    /// The payloads of every QR code on the PDF's first page: rendered at 200 dpi by `pdftoppm`, read by `zbarimg`.
    public static func qrCodes(inPDF path: String) async throws -> [String] {
        let prefix = path + "-page"
        try await _ = Self.run("pdftoppm", ["-png", "-r", "200", "-f", "1", "-l", "1", "-singlefile", path, prefix])
        defer { try? FileManager.default.removeItem(atPath: prefix + ".png") }
        let printed = try await Self.run("zbarimg", ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", prefix + ".png"])
        return printed.split(separator: "\n").map(String.init)
    }
}
