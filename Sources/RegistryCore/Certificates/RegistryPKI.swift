public import Foundation
public import PKI

/// The registry's certificate authority as the use cases need it: the CA tree, the issuing CA device
/// certificates come from, and the choices of the device profile (zone, publication URLs, validity, grace).
///
/// Why in the core: issuance and revocation are lifecycle effects, written in the same transaction as the state
/// change; only the HTTP framing of CRL, OCSP and EST lives at the edge.
public struct RegistryPKI: Sendable {
    public var hierarchy: CAHierarchy
    /// The issuing CA that signs device certificates (a key of ``CAHierarchy/issuing``).
    public var issuingDomain: String
    /// The registry zone (`iotregistry.test.`).
    public var zone: String
    public var urls: PublicationURLs
    /// Device certificate lifetime.
    public var validity: TimeInterval
    /// How long after expiry a certificate may still be renewed when the MNO vouches for the device.
    public var renewalGrace: TimeInterval
    /// The OCSP responder over every CA of the tree.
    public let responder: OCSPResponder

    public init(
        hierarchy: CAHierarchy, issuingDomain: String, zone: String, urls: PublicationURLs,
        validity: TimeInterval = 365 * 86_400, renewalGrace: TimeInterval = 30 * 86_400
    ) throws {
        guard hierarchy.issuing[issuingDomain] != nil else {
            throw RegistryError.invalidInput("there is no issuing CA for domain '\(issuingDomain)'")
        }
        self.hierarchy = hierarchy
        self.issuingDomain = issuingDomain
        self.zone = zone
        self.urls = urls
        self.validity = validity
        self.renewalGrace = renewalGrace
        self.responder = OCSPResponder(
            authorities: hierarchy.issuing.sorted { $0.key < $1.key }.map(\.value) + [hierarchy.root])
    }

    /// The CA that signs device certificates.
    public var issuer: CertificateAuthority {
        get throws {
            guard let ca = hierarchy.issuing[issuingDomain] else {
                throw RegistryError(.unavailable, "the issuing CA '\(issuingDomain)' is not loaded")
            }
            return ca
        }
    }

    /// Every CA certificate of the tree: issuing CAs first, root last.
    public var caCertificates: [CertificateAuthority] {
        hierarchy.issuing.sorted { $0.key < $1.key }.map(\.value) + [hierarchy.root]
    }

    /// Lowercase hex of a serial's integer value (no leading zero octets): the store's key.
    public static func serialHex(_ bytes: some Sequence<UInt8>) -> String {
        let trimmed = Array(bytes).drop(while: { $0 == 0 })
        let hex = trimmed.map { String(format: "%02x", $0) }.joined()
        return hex.isEmpty ? "00" : hex
    }

    /// Normalises a serial typed by a person (`0A:1B…`, `0x…`, upper case) to ``serialHex(_:)`` form.
    public static func normalisedSerial(_ text: String) throws -> String {
        var digits = text.lowercased().replacingOccurrences(of: ":", with: "")
        if digits.hasPrefix("0x") { digits.removeFirst(2) }
        guard !digits.isEmpty, digits.count <= 42, digits.allSatisfy(\.isHexDigit) else {
            throw RegistryError.invalidInput("a serial number is up to 20 octets of hex, e.g. 3a9f…; got '\(text)'")
        }
        if digits.count % 2 == 1 { digits = "0" + digits }
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            bytes.append(UInt8(digits[index..<next], radix: 16) ?? 0)
            index = next
        }
        return serialHex(bytes)
    }
}
