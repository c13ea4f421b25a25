import Foundation
import RegistryCore
import Testing

@Suite("EID (ISO/IEC 7064 MOD 97-10 check digits)")
struct EIDTests {
    /// Known-valid EIDs: the 32-digit number taken modulo 97 is 1 (checked independently with Python's bignums).
    /// Both are widely quoted example EIDs (SGP.22/SGP.29 layout: 89, country, issuer, ..., two check digits).
    static let knownValid = ["89049032123451234512345678901235", "89001012012341234012345678901224"]

    /// Reference check: the whole number modulo 97, computed digit by digit independently of the implementation.
    static func mod97(_ text: String) -> Int {
        text.utf8.reduce(0) { ($0 * 10 + Int($1) - 48) % 97 }
    }

    @Test(arguments: knownValid)
    func acceptsKnownValid(_ text: String) throws {
        #expect(Self.mod97(text) == 1)
        let eid = try EID(text)
        #expect(eid.digits == text)
        #expect(eid.description == text)
    }

    @Test func withCheckDigitsReproducesKnownValid() throws {
        for text in Self.knownValid {
            let body = String(text.prefix(30))
            #expect(try EID.withCheckDigits(body: body).digits == text)
        }
    }

    @Test func withCheckDigitsAlwaysYieldsModulo97One() throws {
        var generator = SplitMix(seed: 97)
        for _ in 0..<2000 {
            let body = (0..<30).map { _ in String(generator.next() % 10) }.joined()
            let eid = try EID.withCheckDigits(body: body)
            #expect(eid.digits.hasPrefix(body))
            #expect(Self.mod97(eid.digits) == 1)
        }
        // Check digits below 10 are zero-padded (body chosen so that 98 - (body*100 mod 97) < 10).
        let small = try (0..<200).lazy.map { try EID.withCheckDigits(body: String(format: "8904903200%020d", $0)) }
            .first { Int($0.digits.suffix(2))! < 10 }
        let padded = try #require(small)
        #expect(padded.digits.utf8.count == 32)
        #expect(Self.mod97(padded.digits) == 1)
    }

    @Test(arguments: [
        "", "8", "8904903212345123451234567890123", "890490321234512345123456789012350",
        String(repeating: "8", count: 64),
    ])
    func refusesWrongLength(_ text: String) {
        #expect(throws: RegistryError.invalidInput("")) { try EID(text) }
    }

    @Test(arguments: [
        "8904903212345123451234567890123A", "89049032 2345123451234567890123", "-9049032123451234512345678901235",
        "89049032123451234512345678901２3", "８9049032123451234512345678901235",
    ])
    func refusesNonDigits(_ text: String) {
        #expect(throws: RegistryError.invalidInput("")) { try EID(text) }
    }

    @Test func withCheckDigitsRefusesBadBodies() {
        for body in ["", "123", String(repeating: "1", count: 31), "89049032123451234512345678901x"] {
            #expect(throws: RegistryError.invalidInput("")) { try EID.withCheckDigits(body: body) }
        }
    }

    /// MOD 97-10 catches every single-digit substitution: 10^k is never divisible by 97.
    @Test(arguments: knownValid)
    func everySingleDigitChangeIsRefused(_ text: String) {
        let digits = Array(text.utf8)
        for position in digits.indices {
            for replacement in UInt8(ascii: "0")...UInt8(ascii: "9") where replacement != digits[position] {
                var mutated = digits
                mutated[position] = replacement
                let candidate = String(decoding: mutated, as: UTF8.self)
                #expect(throws: RegistryError.self, "position \(position) -> \(replacement)") { try EID(candidate) }
            }
        }
    }

    /// MOD 97-10 also catches every transposition of two adjacent, different digits.
    @Test(arguments: knownValid)
    func everyAdjacentTranspositionIsRefused(_ text: String) {
        let digits = Array(text.utf8)
        for position in 0..<(digits.count - 1) where digits[position] != digits[position + 1] {
            var mutated = digits
            mutated.swapAt(position, position + 1)
            let candidate = String(decoding: mutated, as: UTF8.self)
            #expect(throws: RegistryError.self, "swap at \(position)") { try EID(candidate) }
        }
    }

    @Test func codableRoundTripAndValidatesOnDecode() throws {
        let eid = try EID(Self.knownValid[0])
        let data = try JSONEncoder().encode([eid])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(eid.digits)\"]")
        #expect(try JSONDecoder().decode([EID].self, from: data) == [eid])
        let bad = Data("[\"89049032123451234512345678901236\"]".utf8)
        #expect(throws: (any Error).self) { try JSONDecoder().decode([EID].self, from: bad) }
    }

    /// Random strings never trap: they are accepted only when they satisfy the definition.
    @Test func randomInputNeverTraps() {
        var generator = SplitMix(seed: 32)
        let alphabet = Array("0123456789a -\u{0}".utf8)
        for _ in 0..<5000 {
            let length = Int(generator.next() % 40)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let text = String(decoding: bytes, as: UTF8.self)
            let valid = text.utf8.count == 32 && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } && Self.mod97(text) == 1
            #expect(((try? EID(text)) != nil) == valid, "\(text)")
        }
    }
}

/// A small deterministic generator (SplitMix64) for reproducible random tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
