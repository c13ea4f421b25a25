import SwiftASN1
public import X509

extension Certificate {
    /// The certificate's DER bytes (for TLSA `3 0 x`, CERT records, files, the payload).
    public var derBytes: [UInt8] {
        var serializer = DER.Serializer()
        // Serializing a parsed or freshly built Certificate cannot fail: it re-emits stored bytes.
        try? serializer.serialize(self)
        return serializer.serializedBytes
    }

    /// The certificate as one PEM block (`-----BEGIN CERTIFICATE-----`).
    public var pemString: String { PEMDocument(type: "CERTIFICATE", derBytes: derBytes).pemString }

    /// Parses one certificate given as PEM text or DER bytes; anything else is ``PKIError/Code/malformedInput``.
    public init(pemOrDER bytes: [UInt8]) throws {
        do {
            if bytes.starts(with: Array("-----BEGIN".utf8)) || bytes.first.map({ $0 != 0x30 }) == true {
                self = try Certificate(pemEncoded: String(decoding: bytes, as: UTF8.self))
            } else {
                self = try Certificate(derEncoded: bytes)
            }
        } catch {
            throw PKIError.malformed("not an X.509 certificate in PEM or DER: \(error)")
        }
    }

    /// The SubjectPublicKeyInfo DER of this certificate's key (input of TLSA selector 1).
    public var subjectPublicKeyInfoDER: [UInt8] { publicKey.subjectPublicKeyInfoDER }
}

extension Certificate.PublicKey {
    /// The full SubjectPublicKeyInfo DER (algorithm + key), as hashed by TLSA `3 1 1`.
    public var subjectPublicKeyInfoDER: [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.serialize(self)
        return serializer.serializedBytes
    }
}

extension Array where Element == Certificate {
    /// The certificates as concatenated PEM blocks, leaf first (what `openssl -untrusted`/`-CAfile` read).
    public var pemString: String { map(\.pemString).joined(separator: "\n") + "\n" }
}
