/// Runs `body` `count` times at once, as so many concurrent tasks, and sorts what they returned from what they
/// threw; the order within each is the order they finished in.
public func concurrently<Success: Sendable, Failure: Error>(
    _ count: Int,
    _ body: @escaping @Sendable () async throws(Failure) -> Success
) async -> (successes: [Success], failures: [Failure]) {
    await withTaskGroup(of: Result<Success, Failure>.self) { group in
        for _ in 0..<count {
            group.addTask {
                do throws(Failure) {
                    return .success(try await body())
                } catch {
                    return .failure(error)
                }
            }
        }
        var successes: [Success] = []
        var failures: [Failure] = []
        for await result in group {
            switch result {
            case .success(let value): successes.append(value)
            case .failure(let error): failures.append(error)
            }
        }
        return (successes, failures)
    }
}
