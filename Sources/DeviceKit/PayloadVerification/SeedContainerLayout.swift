public import Payload

/// How an accepted Registry Payload is laid out in the seed's on-SIM containers (reference §1.7), so middleware
/// written for the seed (which reads files 2, 3, 6-10) keeps working.
///
/// | file | content |
/// |---|---|
/// | 2 | client certificate (DER) |
/// | 3 | ASP certificate (DER; empty when the payload names the ASP by TLSA only) |
/// | 6 | registry root certificate (DER) |
/// | 7 | issuing CA certificate (DER) |
/// | 8 | endpoint JSON `{"url":…,"port":…}` |
/// | 9 | DER ECDSA-SHA256 by the issuing CA over file 8 (empty when the registry sent none) |
/// | 10 | DER ECDSA-SHA256 by the issuing CA over file 3 (empty when the registry sent none) |
/// | 0x20 | the signed payload itself (COSE_Sign1), the anti-rollback record |
public enum SeedContainerLayout {
    /// The file contents to write for `payload`, delivered as `signedPayload`.
    public static func files(for payload: RegistryPayload, signedPayload: [UInt8]) -> [UInt8: [UInt8]] {
        typealias ID = IoTSafePersonalisation.FileID
        return [
            ID.clientCertificate: payload.device.certificate,
            ID.aspCertificate: payload.asp.certificate ?? [],
            ID.rootCertificate: payload.registryRoot,
            ID.issuingCA: payload.device.issuingCA,
            ID.endpoint: payload.asp.seedEndpointJSON,
            ID.endpointSignature: payload.seedSignatures?.endpointSignature ?? [],
            ID.aspCertificateSignature: payload.seedSignatures?.aspCertificateSignature ?? [],
            ID.registryPayload: signedPayload,
        ]
    }
}
