import HTTPTypes
import Hummingbird

/// The one value of something a request may give once at most: a query parameter, a header field.
enum SingleValue {
    /// The one of `values`, or `nil` when there is none.
    /// - Throws: A 400 ``Problem`` naming `name` when there are more: which one the client meant is not for the
    ///   service to guess.
    static func of(_ values: [String], named name: String) throws(Problem) -> String? {
        guard values.count <= 1 else {
            throw Problem.invalid(field: name, detail: "\(name) is given \(values.count) times; give it once")
        }
        return values.first
    }
}

extension Parameters {
    /// The one value of query parameter `name`, or `nil` when the request has none (see ``SingleValue``): given twice
    /// (`force=false&force=true`), the first was taken. Names are compared percent-decoded, as Hummingbird decodes
    /// the values only: `max%41geHours=1` was no `maxAgeHours`.
    func single(_ name: String) throws(Problem) -> String? {
        try SingleValue.of(self.filter { PercentDecoding.decode($0.key) == name }.map { String($0.value) }, named: name)
    }
}

extension HTTPFields {
    /// The one value of header field `field`, or `nil` when the request has none (see ``SingleValue``): given twice,
    /// its values read as one joined with commas, and two valid keys were refused as a malformed one.
    func single(_ field: HTTPField.Name) throws(Problem) -> String? {
        try SingleValue.of(self[values: field], named: field.rawName)
    }
}
