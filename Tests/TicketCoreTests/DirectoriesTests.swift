import Foundation
import Testing
import TicketCore

@Suite struct DirectoriesTests {
    /// A fresh directory under the system's temporary directory, removed after `body`.
    func withScratch(_ body: (String) throws -> Void) throws {
        let scratch = FileManager.default.temporaryDirectory.path + "/directories-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try body(scratch)
    }

    @Test func createsMissingParentsAndKeepsWhatExists() throws {
        try withScratch { scratch in
            try Directories.create(scratch + "/a/b/c")
            try Directories.create(scratch + "/a/b/c")
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: scratch + "/a/b/c", isDirectory: &isDirectory) && isDirectory.boolValue)
        }
    }

    @Test func aFileInTheWayIsNamed() throws {
        try withScratch { scratch in
            try Directories.create(scratch)
            try "not a directory".write(toFile: scratch + "/file", atomically: true, encoding: .utf8)
            for path in [scratch + "/file", scratch + "/file/sub", scratch + "/file/sub/deeper"] {
                let failure = #expect(throws: Directories.Failure.self) { try Directories.create(path) }
                #expect(failure?.path == scratch + "/file" && failure?.errno == ENOTDIR, "\(path)")
                #expect(failure?.reason == "\(scratch)/file is a file, not a directory")
            }
        }
    }
}
