import Foundation

extension JSONEncoder {
    /// Pretty, with sorted keys: reports that diff well.
    static var report: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
