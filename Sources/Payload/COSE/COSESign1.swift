public import Crypto

// RFC 9052 §4.2 and §4.4:
//   COSE_Sign1 = [ protected : bstr .cbor header_map / bstr .size 0,
//                  unprotected : header_map,
//                  payload : bstr / nil,
//                  signature : bstr ]                    ; CBOR tag 18 when tagged
//   Sig_structure = [ context : "Signature1", body_protected : bstr, external_aad : bstr, payload : bstr ]

/// A COSE single-signer message (RFC 9052 §4.2), ES256 only.
///
/// The protected header is kept as the exact bytes received, because the signature covers those bytes and not
/// a re-encoding of them.
public struct COSESign1: Hashable, Sendable {
    /// The protected header's serialized bytes (empty when there is no protected header).
    public let protectedBytes: [UInt8]
    /// The protected header, parsed from ``protectedBytes``.
    public let protected: COSEHeaders
    /// The unprotected header (not covered by the signature; never trust it for security decisions).
    public var unprotected: COSEHeaders
    /// The payload, or nil for a detached payload.
    public let payload: [UInt8]?
    /// The signature (`r || s` for ES256).
    public let signature: [UInt8]

    /// The CBOR tag of a COSE_Sign1 message.
    public static let tag: UInt64 = 18

    /// Signs `payload` and returns the message.
    ///
    /// The signer's algorithm is written into the protected header (overriding any given there).
    ///
    /// - Parameters:
    ///   - payload: the bytes to sign (e.g. a deterministic CBOR Registry Payload).
    ///   - protected: protected header parameters (kid, x5chain …).
    ///   - unprotected: unprotected header parameters.
    ///   - externalAAD: application data bound to the signature but not carried in the message.
    ///   - signer: produces the raw signature over the `Sig_structure`.
    /// - Throws: ``PayloadError`` `signingFailed` when the signer fails or returns a signature of the wrong size.
    public static func sign(
        payload: [UInt8],
        protected: COSEHeaders = COSEHeaders(),
        unprotected: COSEHeaders = COSEHeaders(),
        externalAAD: [UInt8] = [],
        signer: some COSESigner
    ) throws -> COSESign1 {
        var protected = protected
        protected.algorithm = signer.algorithm
        let protectedBytes = protected.cbor.encoded()
        let tbs = toBeSigned(protectedBytes: protectedBytes, externalAAD: externalAAD, payload: payload)
        let signature = try signer.signature(for: tbs)
        if signer.algorithm == .es256 && signature.count != 64 {
            throw PayloadError(.signingFailed, "ES256 signer returned \(signature.count) bytes; expected raw r||s (64)")
        }
        return COSESign1(
            protectedBytes: protectedBytes,
            protected: protected,
            unprotected: unprotected,
            payload: payload,
            signature: signature
        )
    }

    private init(
        protectedBytes: [UInt8],
        protected: COSEHeaders,
        unprotected: COSEHeaders,
        payload: [UInt8]?,
        signature: [UInt8]
    ) {
        self.protectedBytes = protectedBytes
        self.protected = protected
        self.unprotected = unprotected
        self.payload = payload
        self.signature = signature
    }

    /// Parses a COSE_Sign1 message, tagged (18) or untagged.
    ///
    /// - Parameters:
    ///   - bytes: the encoded message.
    ///   - decoder: limits for the outer CBOR (definite lengths required by default).
    /// - Throws: ``PayloadError`` for malformed CBOR or a structure that is not COSE_Sign1.
    public init(decoding bytes: [UInt8], decoder: CBORDecoder = CBORDecoder()) throws {
        var item = try decoder.decode(bytes)
        if case .tag(let number, let inner) = item {
            guard number == Self.tag else {
                throw PayloadError(.unexpectedType, "CBOR tag \(number) is not COSE_Sign1 (18)")
            }
            item = inner
        }
        guard let parts = item.arrayValue, parts.count == 4 else {
            throw PayloadError(.unexpectedType, "COSE_Sign1 must be an array of 4 items")
        }
        guard let protectedBytes = parts[0].bytesValue else {
            throw PayloadError(.unexpectedType, "COSE_Sign1 protected header must be a bstr")
        }
        let protected =
            protectedBytes.isEmpty ? COSEHeaders() : try COSEHeaders(cbor: try decoder.decode(protectedBytes))
        let unprotected = try COSEHeaders(cbor: parts[1])
        let payload: [UInt8]?
        switch parts[2] {
        case .bytes(let b): payload = b
        case .null: payload = nil
        default: throw PayloadError(.unexpectedType, "COSE_Sign1 payload must be a bstr or nil")
        }
        guard let signature = parts[3].bytesValue else {
            throw PayloadError(.unexpectedType, "COSE_Sign1 signature must be a bstr")
        }
        self.init(
            protectedBytes: protectedBytes,
            protected: protected,
            unprotected: unprotected,
            payload: payload,
            signature: signature
        )
    }

    /// The encoded message (tag 18 by default, as a Registry Payload is sent).
    public func encoded(tagged: Bool = true) -> [UInt8] {
        let body: CBOR = .array([
            .bytes(protectedBytes), unprotected.cbor, payload.map { .bytes($0) } ?? .null, .bytes(signature),
        ])
        return (tagged ? CBOR.tag(Self.tag, body) : body).encoded()
    }

    /// Checks the signature with a P-256 public key.
    ///
    /// - Parameters:
    ///   - publicKey: the signer's key (e.g. from the leaf of ``COSEHeaders/x5chain``, after that chain is checked).
    ///   - externalAAD: the same external data the signer bound.
    ///   - detachedPayload: the payload when the message carries nil.
    /// - Throws: ``PayloadError`` `unsupportedAlgorithm` unless the protected header says ES256, `badSignature` when
    ///   the signature does not verify.
    public func verify(
        publicKey: P256.Signing.PublicKey,
        externalAAD: [UInt8] = [],
        detachedPayload: [UInt8]? = nil
    ) throws {
        guard protected.algorithm == .es256 else {
            let name = protected.algorithm.map(\.description) ?? "none"
            throw PayloadError(.unsupportedAlgorithm, "protected alg is \(name); only ES256 (-7) is accepted")
        }
        guard let content = payload ?? detachedPayload else {
            throw PayloadError(.missingField, "COSE_Sign1 payload is detached and none was supplied")
        }
        guard signature.count == 64,
            let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
        else {
            throw PayloadError(.badSignature, "ES256 signature must be 64 bytes r||s, got \(signature.count)")
        }
        let tbs = Self.toBeSigned(protectedBytes: protectedBytes, externalAAD: externalAAD, payload: content)
        guard publicKey.isValidSignature(ecdsa, for: tbs) else {
            throw PayloadError(.badSignature, "the COSE_Sign1 signature does not verify with the given key")
        }
    }

    /// The `Sig_structure` bytes a Signature1 covers (RFC 9052 §4.4).
    public static func toBeSigned(protectedBytes: [UInt8], externalAAD: [UInt8], payload: [UInt8]) -> [UInt8] {
        CBOR.array(["Signature1", .bytes(protectedBytes), .bytes(externalAAD), .bytes(payload)]).encoded()
    }
}
