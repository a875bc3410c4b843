import Testing
import TicketCore

@Suite struct DecimalNumberTests {
    /// Exponents too: OpenAPI clients send a number parameter as `2.381316944701757e-69` (schemathesis did).
    @Test(arguments: [
        ("24", 24.0), ("0.5", 0.5), ("-2", -2.0), ("1000000", 1_000_000.0), ("007.50", 7.5), ("1e3", 1000.0), ("2.5E-1", 0.25),
        ("1e+2", 100.0),
    ])
    func decimalNumbersAreRead(text: String, value: Double) {
        #expect(DecimalNumber.value(of: text) == value)
    }

    /// `Double` reads most of these; none is a decimal number as JSON writes one.
    @Test(arguments: ["0x18", "0x1p4", "nan", "inf", "+5", ".5", "5.", " 5", "", "-", "1.2.3", "--1", "1e", "1e+", "e3", "1e3.5"])
    func anythingElseIsNot(text: String) {
        #expect(DecimalNumber.value(of: text) == nil)
    }
}
