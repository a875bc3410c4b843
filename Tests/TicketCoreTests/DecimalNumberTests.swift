import Testing
import TicketCore

@Suite struct DecimalNumberTests {
    @Test(arguments: [("24", 24.0), ("0.5", 0.5), ("-2", -2.0), ("1000000", 1_000_000.0), ("007.50", 7.5)])
    func plainDecimalNumbersAreRead(text: String, value: Double) {
        #expect(DecimalNumber.value(of: text) == value)
    }

    /// `Double` reads each of these but the last four; none is a plain decimal number.
    @Test(arguments: ["0x18", "0x1p4", "nan", "inf", "1e3", "+5", ".5", "5.", " 5", "", "-", "1.2.3", "--1"])
    func anythingElseIsNot(text: String) {
        #expect(DecimalNumber.value(of: text) == nil)
    }
}
