public import Crypto
public import DNSWire

/// A DNSSEC signing key: ECDSA P-256 with SHA-256 (algorithm 13, RFC 6605), as a KSK (flags 257) or ZSK (256).
///
/// The private key never appears in ``description`` or in any error; ``privateKeyRawBytes`` is the one accessor,
/// for the caller to persist encrypted.
public struct DNSSECKey: Sendable, CustomStringConvertible {
    /// The role a key plays in the zone, which fixes its DNSKEY flags.
    public struct Role: Hashable, Sendable, CustomStringConvertible {
        /// The DNSKEY flags field: 257 (Zone Key + SEP) or 256 (Zone Key).
        public let flags: UInt16
        /// Key-signing key: signs the DNSKEY RRset; its DS goes to the parent.
        public static let keySigning = Role(flags: 257)
        /// Zone-signing key: signs every other RRset.
        public static let zoneSigning = Role(flags: 256)
        public var description: String { flags == 257 ? "KSK" : "ZSK" }
    }

    public let role: Role
    let privateKey: P256.Signing.PrivateKey
    /// The DNSKEY record data (64-octet x||y public key, RFC 6605 §4).
    public let dnskey: DNSKEY
    /// The key tag (RFC 4034 App. B), cached.
    public let keyTag: UInt16

    /// Generates a fresh key.
    public init(role: Role) {
        self.init(role: role, privateKey: P256.Signing.PrivateKey())
    }

    /// Wraps an existing P-256 key.
    public init(role: Role, privateKey: P256.Signing.PrivateKey) {
        self.role = role
        self.privateKey = privateKey
        let key = DNSKEY(
            flags: role.flags, algorithm: .ecdsaP256SHA256, publicKey: Array(privateKey.publicKey.rawRepresentation))
        self.dnskey = key
        self.keyTag = key.keyTag
    }

    /// Imports a key from the 32-octet private scalar written by ``privateKeyRawBytes``.
    ///
    /// - Throws: ``DNSSECError`` `badKey` when the bytes are not a valid P-256 scalar.
    public init(role: Role, privateKeyRawBytes: [UInt8]) throws {
        do {
            self.init(role: role, privateKey: try P256.Signing.PrivateKey(rawRepresentation: privateKeyRawBytes))
        } catch {
            throw DNSSECError(.badKey, "private key must be a 32-octet P-256 scalar")
        }
    }

    /// The private scalar (32 octets). Persist it encrypted; never log it.
    public var privateKeyRawBytes: [UInt8] { Array(privateKey.rawRepresentation) }

    /// The DS record data for this key with SHA-256 (digest type 2, RFC 4509): digest of owner name || DNSKEY RDATA.
    public func ds(owner: DNSName) -> DS { DNSSECKey.ds(for: dnskey, owner: owner) }

    /// The DS data for any DNSKEY (SHA-256).
    public static func ds(for key: DNSKEY, owner: DNSName) -> DS {
        var w = WireWriter()
        w.writeName(owner.lowercased(), compress: false)
        RData.dnskey(key).encode(into: &w, canonical: true)
        return DS(
            keyTag: key.keyTag, algorithm: key.algorithm, digestType: .sha256, digest: Array(SHA256.hash(data: w.bytes))
        )
    }

    /// Signs `data` (the RRSIG signing input); the result is the 64-octet r||s of RFC 6605 §4.
    func sign(_ data: [UInt8]) throws -> [UInt8] {
        do {
            return Array(try privateKey.signature(for: data).rawRepresentation)
        } catch {
            throw DNSSECError(.signingFailed, "ECDSA P-256 signing failed: \(type(of: error))")
        }
    }

    /// `KSK tag=12345 alg=13`: never the key material.
    public var description: String { "\(role) tag=\(keyTag) alg=13" }
}
