import Testing
import TicketCore

@Suite struct DecimalNumberTests {
    @Test(arguments: [("24", 24.0), ("0.5", 0.5), ("1e3", 1000.0), ("-2", -2.0), ("+1.5E1", 15.0)])
    func decimalNumbersAreRead(text: String, value: Double) {
        #expect(DecimalNumber.value(of: text) == value)
    }

    /// `Double` reads each of these; none is a decimal number.
    @Test(arguments: ["0x18", "0x1p4", "nan", "inf", "infinity", " 5", ""])
    func anythingElseIsNot(text: String) {
        #expect(DecimalNumber.value(of: text) == nil)
    }
}
