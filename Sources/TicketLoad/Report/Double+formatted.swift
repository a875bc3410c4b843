import Foundation

extension Double {
    /// The number with `decimals` digits after the point (`1234.5` with 1: `"1234.5"`), in the POSIX locale.
    func formatted(decimals: Int) -> String {
        String(format: "%.\(decimals)f", self)
    }
}
