import Foundation
import RegistryCore
import Testing

@Suite("ICCID (ITU-T E.118, Luhn check digit)")
struct ICCIDTests {
    /// A widely quoted example ICCID (E.118 layout: 89 telecom, country, issuer, account, Luhn digit).
    static let knownValid = ["89014103211118510720"]

    /// Reference Luhn check, written independently of the implementation.
    static func luhn(_ text: String) -> Bool {
        var sum = 0
        for (index, byte) in text.utf8.reversed().enumerated() {
            var value = Int(byte) - 48
            if index % 2 == 1 { value = value * 2 > 9 ? value * 2 - 9 : value * 2 }
            sum += value
        }
        return sum % 10 == 0
    }

    @Test func knownValidPassTheReferenceCheck() {
        for text in Self.knownValid { #expect(Self.luhn(text)) }
    }

    @Test func acceptsKnownValid() throws {
        let iccid = try ICCID("89014103211118510720")
        #expect(iccid.digits == "89014103211118510720")
        #expect(try ICCID.withCheckDigit(body: "8901410321111851072").digits == "89014103211118510720")
    }

    @Test(arguments: 17...19)
    func withCheckDigitAtEveryLength(_ bodyLength: Int) throws {
        var generator = SplitMix(seed: UInt64(bodyLength))
        for _ in 0..<500 {
            let body = "89" + (0..<(bodyLength - 2)).map { _ in String(generator.next() % 10) }.joined()
            let iccid = try ICCID.withCheckDigit(body: body)
            #expect(iccid.digits.utf8.count == bodyLength + 1)
            #expect(Self.luhn(iccid.digits))
        }
    }

    @Test(arguments: ["", "8901410321111851", "89014103211118510", "890141032111185107201", "8901410321111851072011"])
    func refusesWrongLength(_ text: String) {
        #expect(throws: RegistryError.invalidInput("")) { try ICCID(text) }
    }

    @Test(arguments: ["8901410321111851072F", "89014103211118510 20", "+9014103211118510720"])
    func refusesNonDigits(_ text: String) {
        #expect(throws: RegistryError.invalidInput("")) { try ICCID(text) }
    }

    /// Luhn catches every single-digit substitution.
    @Test func everySingleDigitChangeIsRefused() {
        let digits = Array("89014103211118510720".utf8)
        for position in digits.indices {
            for replacement in UInt8(ascii: "0")...UInt8(ascii: "9") where replacement != digits[position] {
                var mutated = digits
                mutated[position] = replacement
                let candidate = String(decoding: mutated, as: UTF8.self)
                #expect(throws: RegistryError.self, "position \(position)") { try ICCID(candidate) }
            }
        }
    }

    /// Luhn catches adjacent transpositions except 09 <-> 90 (a known limit of the algorithm).
    @Test func adjacentTranspositionsAreRefusedExceptZeroNine() {
        let digits = Array("89014103211118510720".utf8)
        for position in 0..<(digits.count - 1) where digits[position] != digits[position + 1] {
            let pair = Set([digits[position], digits[position + 1]])
            if pair == Set([UInt8(ascii: "0"), UInt8(ascii: "9")]) { continue }
            var mutated = digits
            mutated.swapAt(position, position + 1)
            let candidate = String(decoding: mutated, as: UTF8.self)
            #expect(throws: RegistryError.self, "swap at \(position)") { try ICCID(candidate) }
        }
    }

    @Test func randomInputNeverTraps() {
        var generator = SplitMix(seed: 18)
        let alphabet = Array("0123456789x \u{0}".utf8)
        for _ in 0..<5000 {
            let length = Int(generator.next() % 24)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let text = String(decoding: bytes, as: UTF8.self)
            let valid =
                (18...20).contains(text.utf8.count) && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
                && Self.luhn(text)
            #expect(((try? ICCID(text)) != nil) == valid, "\(text)")
        }
    }
}
