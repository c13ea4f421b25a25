import Crypto
import Foundation
import SwiftASN1
public import X509

// RFC 2986 §4
// CertificationRequest ::= SEQUENCE {
//      certificationRequestInfo CertificationRequestInfo,
//      signatureAlgorithm AlgorithmIdentifier{{ SignatureAlgorithms }},
//      signature          BIT STRING }
// CertificationRequestInfo ::= SEQUENCE {
//      version       INTEGER { v1(0) } (v1,...),
//      subject       Name,
//      subjectPKInfo SubjectPublicKeyInfo{{ PKInfoAlgorithms }},
//      attributes    [0] Attributes{{ CRIAttributes }} }
// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }          (RFC 8017 A.1.1)
/// A PKCS#10 request whose signature verified (proof of possession) and whose key we accept.
///
/// Why a separate type: the registry may only issue for a request that passed these checks, so issuance takes the
/// public key from this value, never from raw bytes. Accepted keys: ECDSA P-256 and P-384, RSA 2048-16384 bits.
/// The requested subject, attributes and extensions are ignored by issuance (the registry decides the names).
public struct ValidatedCSR: Sendable {
    /// The parsed request (subject, attributes, as sent).
    public let request: CertificateSigningRequest
    /// The requested public key.
    public var publicKey: Certificate.PublicKey { request.publicKey }
    /// The key's SubjectPublicKeyInfo DER, as it will appear in the certificate.
    public let subjectPublicKeyInfoDER: [UInt8]
    /// SHA-256 of ``subjectPublicKeyInfoDER``: the data of the device's TLSA `3 1 1` record.
    public var subjectPublicKeyInfoSHA256: [UInt8] { Array(SHA256.hash(data: subjectPublicKeyInfoDER)) }
    /// A short name of the key type, e.g. `ECDSA P-256`, `RSA 2048`, for logs and errors.
    public let keyDescription: String

    /// Parses a PEM (`CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST`) or DER request and checks it.
    ///
    /// - Parameter maxBytes: inputs longer than this are refused before parsing (default 16 KiB).
    public init(pemOrDER bytes: [UInt8], maxBytes: Int = 16_384) throws {
        guard bytes.count <= maxBytes else {
            throw PKIError.malformed("the CSR is \(bytes.count) bytes; the limit is \(maxBytes)")
        }
        let trimmed = bytes.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
        if trimmed.starts(with: Array("-----BEGIN".utf8)) {
            let document: PEMDocument
            do {
                document = try PEMDocument(pemString: String(decoding: trimmed, as: UTF8.self))
            } catch {
                throw PKIError.malformed("the CSR's PEM armour does not parse: \(error)")
            }
            guard document.discriminator == "CERTIFICATE REQUEST" || document.discriminator == "NEW CERTIFICATE REQUEST"
            else {
                throw PKIError.malformed("PEM block is '\(document.discriminator)', expected 'CERTIFICATE REQUEST'")
            }
            try self.init(der: document.derBytes, maxBytes: maxBytes)
        } else {
            try self.init(der: Array(bytes), maxBytes: maxBytes)
        }
    }

    /// Parses the base64 body of an EST `simpleenroll`/`simplereenroll` request (RFC 7030 §4.2.1), line breaks allowed.
    public init(estBase64 body: [UInt8], maxBytes: Int = 16_384) throws {
        guard body.count <= maxBytes * 2 else {
            throw PKIError.malformed("the EST body is longer than \(maxBytes * 2) bytes")
        }
        let text = String(decoding: body.filter { $0 != 0x0A && $0 != 0x0D && $0 != 0x20 && $0 != 0x09 }, as: UTF8.self)
        guard let der = Data(base64Encoded: text) else {
            throw PKIError.malformed("the EST request body is not base64 (RFC 7030 §4.2.1 wants a base64 DER PKCS#10)")
        }
        try self.init(der: Array(der), maxBytes: maxBytes)
    }

    /// Parses a DER request and checks key type, key size and signature.
    public init(der: [UInt8], maxBytes: Int = 16_384) throws {
        guard der.count <= maxBytes else {
            throw PKIError.malformed("the CSR is \(der.count) bytes; the limit is \(maxBytes)")
        }
        let root: ASN1Node
        do {
            root = try DER.parse(der)
        } catch {
            throw PKIError.malformed("the CSR is not DER (truncated, trailing bytes or garbage): \(error)")
        }
        let spkiNode = try Self.subjectPublicKeyInfoNode(root)
        keyDescription = try Self.checkKey(spkiNode)
        do {
            request = try CertificateSigningRequest(derEncoded: root)
        } catch {
            throw PKIError.malformed("the CSR does not parse as PKCS#10 (RFC 2986): \(error)")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw PKIError(
                .badSignature,
                "the CSR's signature does not verify with its own key: it was altered or not signed by the key holder"
            )
        }
        subjectPublicKeyInfoDER = request.publicKey.subjectPublicKeyInfoDER
    }

    private static func subjectPublicKeyInfoNode(_ root: ASN1Node) throws -> ASN1Node {
        do {
            return try DER.sequence(root, identifier: .sequence) { nodes in
                guard let info = nodes.next() else {
                    throw PKIError.malformed("the CSR has no CertificationRequestInfo")
                }
                _ = nodes.next()
                _ = nodes.next()
                return try DER.sequence(info, identifier: .sequence) { fields in
                    _ = fields.next()
                    _ = fields.next()
                    guard let spki = fields.next() else {
                        throw PKIError.malformed("the CSR has no SubjectPublicKeyInfo")
                    }
                    while fields.next() != nil {}
                    return spki
                }
            }
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError.malformed("the CSR is not a PKCS#10 CertificationRequest: \(error)")
        }
    }

    static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10045, 2, 1]
    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
    static let p256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 3, 1, 7]
    static let p384: ASN1ObjectIdentifier = [1, 3, 132, 0, 34]

    /// Accepts ECDSA P-256/P-384 and RSA >= 2048 bits; everything else gets a precise refusal.
    private static func checkKey(_ spki: ASN1Node) throws -> String {
        do {
            return try DER.sequence(spki, identifier: .sequence) { nodes in
                guard let algorithmNode = nodes.next(), let keyNode = nodes.next() else {
                    throw PKIError.malformed("the CSR's SubjectPublicKeyInfo is incomplete")
                }
                let (oid, parameters) = try DER.sequence(algorithmNode, identifier: .sequence) { fields in
                    (try ASN1ObjectIdentifier(derEncoded: &fields), fields.next())
                }
                let key = try ASN1BitString(derEncoded: keyNode)
                switch oid {
                case ecPublicKey:
                    guard let parameters, let curve = try? ASN1ObjectIdentifier(derEncoded: parameters) else {
                        throw PKIError(.unsupportedKey, "EC key without a named curve; use P-256 or P-384")
                    }
                    switch curve {
                    case p256: return "ECDSA P-256"
                    case p384: return "ECDSA P-384"
                    default:
                        throw PKIError(
                            .unsupportedKey, "EC curve \(curve) is not accepted; use P-256 (prime256v1) or P-384")
                    }
                case rsaEncryption:
                    let bits = try rsaModulusBits(key.bytes)
                    guard bits >= 2048 else {
                        throw PKIError(
                            .weakKey, "RSA key of \(bits) bits is too small; use at least 2048 bits (or ECDSA P-256)")
                    }
                    guard bits <= 16_384 else {
                        throw PKIError(.unsupportedKey, "RSA key of \(bits) bits is larger than the 16384-bit limit")
                    }
                    return "RSA \(bits)"
                default:
                    let names: [ASN1ObjectIdentifier: String] = [
                        [1, 3, 101, 112]: "Ed25519", [1, 3, 101, 113]: "Ed448", [1, 2, 840, 10040, 4, 1]: "DSA",
                        [1, 3, 101, 110]: "X25519",
                    ]
                    let name = names[oid].map { "\($0) (\(oid))" } ?? "\(oid)"
                    throw PKIError(
                        .unsupportedKey, "key type \(name) is not accepted; use ECDSA P-256, P-384 or RSA >= 2048")
                }
            }
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError.malformed("the CSR's SubjectPublicKeyInfo does not parse: \(error)")
        }
    }

    private static func rsaModulusBits(_ key: ArraySlice<UInt8>) throws -> Int {
        let node = try DER.parse(key)
        return try DER.sequence(node, identifier: .sequence) { fields in
            guard let modulusNode = fields.next(), modulusNode.identifier == .integer,
                case .primitive(let modulus) = modulusNode.content
            else { throw PKIError.malformed("RSA public key has no modulus") }
            _ = fields.next()
            let significant = modulus.drop(while: { $0 == 0 })
            guard let first = significant.first else { return 0 }
            return (significant.count - 1) * 8 + (8 - first.leadingZeroBitCount)
        }
    }
}
