/// The eUICC identifier (EID): the 32-digit number that names the eSIM itself (GSMA SGP.29).
///
/// The registry names every device by its EID on purpose: it is the one identifier that belongs to the secure
/// element holding the device's key, not to a subscription (ICCID, IMSI) that an operator may swap. The last two
/// digits are ISO/IEC 7064 MOD 97-10 check digits over the first thirty, so the whole number taken modulo 97 is 1.
public struct EID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The 32 decimal digits.
    public let digits: String

    /// Validates `text` as an EID.
    ///
    /// - Throws: ``RegistryError`` with code `invalidInput` naming what is wrong (length, characters, check digits).
    public init(_ text: String) throws {
        guard text.utf8.count == 32 else {
            throw RegistryError.invalidInput(
                "EID must be exactly 32 digits (got \(text.utf8.count) characters); copy it from the eUICC label"
            )
        }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw RegistryError.invalidInput("EID must contain only decimal digits")
        }
        guard Self.mod97(text) == 1 else {
            throw RegistryError.invalidInput(
                "EID \(text) fails its ISO 7064 MOD 97-10 check digits; re-read the eUICC label"
            )
        }
        self.digits = text
    }

    /// Builds a valid EID from a 30-digit body by appending its check digits (used by tests, simulators, demos).
    public static func withCheckDigits(body: String) throws -> EID {
        guard body.utf8.count == 30, body.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw RegistryError.invalidInput("an EID body is exactly 30 digits")
        }
        let check = 98 - mod97(body + "00")
        let suffix = check < 10 ? "0\(check)" : "\(check)"
        return try EID(body + suffix)
    }

    static func mod97(_ digits: String) -> Int {
        var remainder = 0
        for byte in digits.utf8 { remainder = (remainder * 10 + Int(byte - 48)) % 97 }
        return remainder
    }

    public var description: String { digits }
    public static func < (lhs: EID, rhs: EID) -> Bool { lhs.digits < rhs.digits }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(digits)
    }
}
