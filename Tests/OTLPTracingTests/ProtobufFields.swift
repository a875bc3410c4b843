/// A protobuf message read back into its fields, for the tests to check what the encoder wrote.
struct ProtobufFields {
    enum Value: Equatable {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes([UInt8])

        var message: ProtobufFields? { if case .bytes(let bytes) = self { ProtobufFields(bytes) } else { nil } }
        var string: String? { if case .bytes(let bytes) = self { String(decoding: bytes, as: UTF8.self) } else { nil } }
    }

    private(set) var fields: [(number: Int, value: Value)] = []

    /// Reads `bytes`; `nil` when they are not a well-formed message.
    init?(_ bytes: [UInt8]) {
        var index = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        func fixed(_ count: Int) -> UInt64? {
            guard index + count <= bytes.count else { return nil }
            defer { index += count }
            return (0..<count).reduce(0) { $0 | UInt64(bytes[index + $1]) << UInt64(8 * $1) }
        }
        while index < bytes.count {
            guard let tag = varint() else { return nil }
            let value: Value
            switch tag & 7 {
            case 0:
                guard let number = varint() else { return nil }
                value = .varint(number)
            case 1:
                guard let number = fixed(8) else { return nil }
                value = .fixed64(number)
            case 5:
                guard let number = fixed(4) else { return nil }
                value = .fixed32(UInt32(number))
            case 2:
                guard let length = varint(), index + Int(length) <= bytes.count else { return nil }
                value = .bytes(Array(bytes[index..<index + Int(length)]))
                index += Int(length)
            default: return nil
            }
            self.fields.append((Int(tag >> 3), value))
        }
    }

    /// Every value of field `number`, in order.
    subscript(_ number: Int) -> [Value] { self.fields.filter { $0.number == number }.map(\.value) }

    /// The `KeyValue` list in field `number` as key and `AnyValue` fields.
    func keyValues(_ number: Int) -> [String: ProtobufFields] {
        var pairs: [String: ProtobufFields] = [:]
        for entry in self[number] {
            guard let keyValue = entry.message, let key = keyValue[1].first?.string, let value = keyValue[2].first?.message else { continue }
            pairs[key] = value
        }
        return pairs
    }
}
