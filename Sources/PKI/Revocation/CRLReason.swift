import SwiftASN1

// RFC 5280 §5.3.1
// CRLReason ::= ENUMERATED {
//      unspecified             (0),
//      keyCompromise           (1),
//      cACompromise            (2),
//      affiliationChanged      (3),
//      superseded              (4),
//      cessationOfOperation    (5),
//      certificateHold         (6),
//           -- value 7 is not used
//      removeFromCRL           (8),
//      privilegeWithdrawn      (9),
//      aACompromise           (10) }
/// Why a certificate was revoked; shared by CRL entries and OCSP `revoked` answers.
///
/// A transfer or re-key revokes the old profile as `superseded`; a deactivation as `cessationOfOperation`.
public struct CRLReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let unspecified = CRLReason(rawValue: 0)
    public static let keyCompromise = CRLReason(rawValue: 1)
    public static let cACompromise = CRLReason(rawValue: 2)
    public static let affiliationChanged = CRLReason(rawValue: 3)
    public static let superseded = CRLReason(rawValue: 4)
    public static let cessationOfOperation = CRLReason(rawValue: 5)
    public static let certificateHold = CRLReason(rawValue: 6)
    public static let removeFromCRL = CRLReason(rawValue: 8)
    public static let privilegeWithdrawn = CRLReason(rawValue: 9)
    public static let aACompromise = CRLReason(rawValue: 10)

    public var description: String {
        let names = [
            0: "unspecified", 1: "keyCompromise", 2: "cACompromise", 3: "affiliationChanged", 4: "superseded",
            5: "cessationOfOperation", 6: "certificateHold", 8: "removeFromCRL", 9: "privilegeWithdrawn",
            10: "aACompromise",
        ]
        return names[rawValue] ?? "reason(\(rawValue))"
    }
}

extension CRLReason {
    /// The ENUMERATED's DER (tag 0x0A), as it appears in a reasonCode extension and in OCSP RevokedInfo.
    func serialize(into coder: inout DER.Serializer) throws {
        try rawValue.serialize(into: &coder, withIdentifier: .enumerated)
    }

    init(derEncoded node: ASN1Node) throws {
        self.init(rawValue: try Int(derEncoded: node, withIdentifier: .enumerated))
    }
}
