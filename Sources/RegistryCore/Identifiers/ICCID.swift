/// The integrated circuit card identifier of the eSIM profile (ITU-T E.118): 18 to 20 digits ending in a Luhn
/// check digit.
///
/// The registry records it because the mobile operator addresses the subscription by it, but identity is the EID.
public struct ICCID: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The digits, check digit included.
    public let digits: String

    /// Validates `text` as an ICCID.
    ///
    /// - Throws: ``RegistryError`` with code `invalidInput` naming what is wrong.
    public init(_ text: String) throws {
        let count = text.utf8.count
        guard (18...20).contains(count) else {
            throw RegistryError.invalidInput("ICCID must be 18 to 20 digits (got \(count) characters)")
        }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw RegistryError.invalidInput("ICCID must contain only decimal digits")
        }
        guard Self.luhnIsValid(text) else {
            throw RegistryError.invalidInput("ICCID \(text) fails its Luhn check digit; re-read the SIM's ICCID")
        }
        self.digits = text
    }

    /// Builds a valid ICCID from its body by appending the Luhn check digit.
    public static func withCheckDigit(body: String) throws -> ICCID {
        try ICCID(body + String(luhnCheckDigit(body)))
    }

    static func luhnIsValid(_ digits: String) -> Bool {
        var sum = 0
        for (index, byte) in digits.utf8.reversed().enumerated() {
            var value = Int(byte - 48)
            if index % 2 == 1 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return sum % 10 == 0
    }

    static func luhnCheckDigit(_ body: String) -> Int {
        var sum = 0
        for (index, byte) in body.utf8.reversed().enumerated() {
            var value = Int(byte - 48)
            if index % 2 == 0 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return (10 - sum % 10) % 10
    }

    public var description: String { digits }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(digits)
    }
}
