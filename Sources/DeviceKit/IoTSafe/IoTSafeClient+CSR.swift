import Crypto
import SwiftASN1
public import X509

// RFC 2986 §4:
//   CertificationRequest ::= SEQUENCE {
//        certificationRequestInfo CertificationRequestInfo,
//        signatureAlgorithm       AlgorithmIdentifier{{ SignatureAlgorithms }},
//        signature                BIT STRING }
//   CertificationRequestInfo ::= SEQUENCE {
//        version       INTEGER { v1(0) } (v1,...),
//        subject       Name,
//        subjectPKInfo SubjectPublicKeyInfo{{ PKInfoAlgorithms }},
//        attributes    [0] Attributes{{ CRIAttributes }} }

extension IoTSafeClient {
    /// Builds a PKCS#10 CSR for the key in container `keyID`, signed inside the applet.
    ///
    /// The applet has no CSR command: the host serializes the `CertificationRequestInfo` (with swift-certificates, so
    /// the bytes are exactly what a verifier re-derives), hashes it with SHA-256 and has the applet sign the hash
    /// (COMPUTE SIGNATURE mode 03, pad-and-sign). The private key never leaves the eSIM.
    ///
    /// - Parameters:
    ///   - subject: the requested subject (the registry sets the final one).
    ///   - attributes: CSR attributes, e.g. an extension request with the device's SAN.
    ///   - keyID: the signature key container (default: the client key, 1).
    /// - Returns: the CSR, whose signature has been checked against the container's public key.
    /// - Throws: ``DeviceKitError`` `statusWord` from the applet, `csrFailed` when it cannot be built or verified.
    public func certificateSigningRequest(
        subject: DistinguishedName,
        attributes: CertificateSigningRequest.Attributes = .init(),
        keyID: UInt8 = IoTSafePersonalisation.clientKeyID
    ) throws -> CertificateSigningRequest {
        let publicKey = Certificate.PublicKey(try signingPublicKey(keyID))
        do {
            // Serialize once with a placeholder signature to get the exact CertificationRequestInfo bytes.
            let placeholder = try Self.certificateSignature(
                raw: Array(P256.Signing.PrivateKey().signature(for: [0]).rawRepresentation)
            )
            let draft = try CertificateSigningRequest(
                version: .v1,
                subject: subject,
                publicKey: publicKey,
                attributes: attributes,
                signatureAlgorithm: .ecdsaWithSHA256,
                signature: placeholder
            )
            var serializer = DER.Serializer()
            try serializer.serialize(draft)
            guard case .constructed(let children) = try DER.parse(serializer.serializedBytes).content,
                let info = children.first(where: { _ in true })
            else {
                throw DeviceKitError(.csrFailed, "the draft CSR did not serialize as a SEQUENCE")
            }
            let digest = Array(SHA256.hash(data: Array(info.encodedBytes)))
            let raw = try sign(digest: digest, with: keyID)
            let csr = try CertificateSigningRequest(
                version: .v1,
                subject: subject,
                publicKey: publicKey,
                attributes: attributes,
                signatureAlgorithm: .ecdsaWithSHA256,
                signature: try Self.certificateSignature(raw: raw)
            )
            guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
                throw DeviceKitError(.csrFailed, "the applet's signature does not verify over the CSR")
            }
            return csr
        } catch let error as DeviceKitError {
            throw error
        } catch {
            throw DeviceKitError(.csrFailed, "cannot build the CSR: \(error)")
        }
    }

    private static func certificateSignature(raw: [UInt8]) throws -> Certificate.Signature {
        let der = try P256.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation
        return try Certificate.Signature(
            signatureAlgorithm: .ecdsaWithSHA256,
            signatureBytes: ASN1BitString(bytes: Array(der)[...])
        )
    }
}
