import Crypto
import Foundation
import PKI
import PeerTesting
import X509

/// Shared builders for the PKI tests: a CA tree in memory and openssl helpers.
enum Fixtures {
    static let zone = "iotregistry.test."
    static let eid = "89049032123451234512345678901235"

    static func hierarchy() throws -> CAHierarchy {
        try CAHierarchy.create(
            keyStore: InMemoryKeyStore(),
            rootSubject: try DistinguishedName(parsing: "CN=IoT Registry Root CA, O=IoT Registry Test, C=CA"),
            issuing: [
                "default": try DistinguishedName(parsing: "CN=IoT Registry Issuing CA 1, O=IoT Registry Test, C=CA")
            ]
        )
    }

    static func issuing(_ h: CAHierarchy) throws -> CertificateAuthority {
        guard let ca = h.issuing["default"] else { throw PKIError(.keyNotFound, "no default issuer") }
        return ca
    }

    static func urls() throws -> PublicationURLs { try PublicationURLs(base: "http://127.0.0.1:8080") }

    static func deviceCertificate(_ ca: CertificateAuthority, rpid: UInt64 = 11) throws -> Certificate {
        let key = P256.Signing.PrivateKey()
        return try DeviceCertificateProfile(
            publicKey: Certificate.PublicKey(key.publicKey), rpid: rpid, eid: eid, zone: zone, urls: try urls()
        ).issue(by: ca)
    }

    /// Writes `contents` into `dir/name` and returns the path.
    @discardableResult
    static func write(_ dir: URL, _ name: String, _ contents: some DataProtocol) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(contents).write(to: url)
        return url.path
    }

    static func write(_ dir: URL, _ name: String, _ text: String) throws -> String {
        try write(dir, name, Array(text.utf8))
    }

    /// A deterministic generator for the mutation tests (SplitMix64).
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// `count` mutations of `input`: flipped bytes, truncations, appended bytes, random bytes.
    static func mutations(of input: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SeededGenerator(state: seed)
        var out: [[UInt8]] = []
        for i in 0..<count {
            var bytes = input
            switch i % 4 {
            case 0:
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] ^= UInt8.random(in: 1...255, using: &rng)
            case 1:
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            case 2:
                bytes += (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            default:
                bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            out.append(bytes)
        }
        return out
    }
}
