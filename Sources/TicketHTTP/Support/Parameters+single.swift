import Hummingbird

extension Parameters {
    /// The one value of query parameter `name`, or `nil` when the request has none. Names are compared
    /// percent-decoded, as Hummingbird decodes the values only: `max%41geHours=1` was no `maxAgeHours`.
    /// - Throws: A 400 ``Problem`` naming the parameter when it is given more than once: which of two values an admin
    ///   meant (`force=false&force=true`) is not for the service to guess (it used to take the first).
    func single(_ name: String) throws(Problem) -> String? {
        let values = self.filter { PercentDecoding.decode($0.key) == name }.map { String($0.value) }
        guard values.count <= 1 else {
            throw Problem.invalid(field: name, detail: "\(name) is given \(values.count) times; give it once")
        }
        return values.first
    }
}
