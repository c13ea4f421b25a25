import Crypto
import SwiftASN1
import X509

// AlgorithmIdentifier  ::=  SEQUENCE  {
//      algorithm               OBJECT IDENTIFIER,
//      parameters              ANY DEFINED BY algorithm OPTIONAL  }
/// The few AlgorithmIdentifiers we write by hand (CRL, OCSP, CMS); the CA keys are ECDSA only.
enum AlgorithmIdentifiers {
    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
    static let sha1: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
    static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]

    /// Writes the signature AlgorithmIdentifier of `algorithm` (RFC 5758 §3.2: no parameters for ECDSA).
    static func serializeSignature(_ algorithm: Certificate.SignatureAlgorithm, into coder: inout DER.Serializer) throws
    {
        let oid: ASN1ObjectIdentifier
        switch algorithm {
        case .ecdsaWithSHA256: oid = ecdsaWithSHA256
        case .ecdsaWithSHA384: oid = ecdsaWithSHA384
        default: throw PKIError.invalid("signature algorithm \(algorithm) is not one our CA keys use")
        }
        try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(oid) }
    }

    /// Writes a digest AlgorithmIdentifier with NULL parameters (as openssl writes it in OCSP CertIDs).
    static func serializeDigest(_ oid: ASN1ObjectIdentifier, into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(oid)
            try coder.serialize(ASN1Null())
        }
    }

    /// Reads an AlgorithmIdentifier, returning its OID and ignoring absent or NULL parameters.
    static func parseOID(_ node: ASN1Node) throws -> ASN1ObjectIdentifier {
        try DER.sequence(node, identifier: .sequence) { nodes in
            let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
            if let parameters = nodes.next() {
                guard parameters.identifier == ASN1Null.defaultIdentifier else {
                    throw PKIError.malformed("unexpected AlgorithmIdentifier parameters for \(oid)")
                }
            }
            return oid
        }
    }
}

extension AlgorithmIdentifiers {
    /// Verifies a DER ECDSA signature by `publicKey` over `message` for an ecdsa-with-SHA256/384 OID.
    static func verify(
        publicKey: Certificate.PublicKey,
        algorithm: ASN1ObjectIdentifier,
        signature: [UInt8],
        message: [UInt8]
    ) -> Bool {
        if let key = P256.Signing.PublicKey(publicKey), algorithm == ecdsaWithSHA256,
            let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature)
        {
            return key.isValidSignature(sig, for: SHA256.hash(data: message))
        }
        if let key = P384.Signing.PublicKey(publicKey), algorithm == ecdsaWithSHA384,
            let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature)
        {
            return key.isValidSignature(sig, for: SHA384.hash(data: message))
        }
        return false
    }
}
