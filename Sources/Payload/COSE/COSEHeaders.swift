// RFC 9052 §3.1 common header parameters (labels) that we use, and RFC 9360 §2 x5chain:
//   1 alg         int / tstr
//   4 kid         bstr
//   33 x5chain    COSE_X509 = bstr / [ 2*certs: bstr ]   (leaf first, each a DER certificate)

/// The COSE header parameters a Registry Payload uses (RFC 9052 §3.1, RFC 9360).
///
/// Typed fields for the labels we rely on; everything else is kept in ``other`` so it round-trips.
public struct COSEHeaders: Hashable, Sendable {
    /// Label 1: the signature algorithm; must be in the protected bucket.
    public var algorithm: COSEAlgorithm?
    /// Label 4: which key signed, so a verifier can pick it without trying all.
    public var keyID: [UInt8]?
    /// Label 33: the signer's certificate chain, leaf first (DER), so a device can check it up to a root it holds.
    public var x5chain: [[UInt8]]?
    /// Any other parameters, by label.
    public var other: [CBOR: CBOR]

    /// Makes a header map.
    public init(
        algorithm: COSEAlgorithm? = nil,
        keyID: [UInt8]? = nil,
        x5chain: [[UInt8]]? = nil,
        other: [CBOR: CBOR] = [:]
    ) {
        self.algorithm = algorithm
        self.keyID = keyID
        self.x5chain = x5chain
        self.other = other
    }

    static let algorithmLabel: CBOR = 1
    static let keyIDLabel: CBOR = 4
    static let x5chainLabel: CBOR = 33

    /// The header map as CBOR.
    public var cbor: CBOR {
        var map = other
        if let algorithm { map[Self.algorithmLabel] = .int(algorithm.rawValue) }
        if let keyID { map[Self.keyIDLabel] = .bytes(keyID) }
        if let x5chain {
            map[Self.x5chainLabel] = x5chain.count == 1 ? .bytes(x5chain[0]) : .array(x5chain.map { .bytes($0) })
        }
        return .map(map)
    }

    /// Reads a header map.
    ///
    /// - Throws: ``PayloadError`` `unexpectedType` when a known label has the wrong type.
    public init(cbor: CBOR) throws {
        guard var map = cbor.mapValue else {
            throw PayloadError(.unexpectedType, "a COSE header must be a map")
        }
        if let alg = map.removeValue(forKey: Self.algorithmLabel) {
            guard let value = alg.int64 else {
                throw PayloadError(.unsupportedAlgorithm, "COSE alg must be an integer (text algorithms are not used)")
            }
            algorithm = COSEAlgorithm(rawValue: value)
        }
        if let kid = map.removeValue(forKey: Self.keyIDLabel) {
            guard let bytes = kid.bytesValue else { throw PayloadError(.unexpectedType, "COSE kid must be a bstr") }
            keyID = bytes
        }
        if let chain = map.removeValue(forKey: Self.x5chainLabel) {
            switch chain {
            case .bytes(let der):
                x5chain = [der]
            case .array(let items):
                let ders = items.compactMap(\.bytesValue)
                guard ders.count == items.count, !ders.isEmpty else {
                    throw PayloadError(.unexpectedType, "COSE x5chain must be a bstr or an array of bstr (RFC 9360)")
                }
                x5chain = ders
            default:
                throw PayloadError(.unexpectedType, "COSE x5chain must be a bstr or an array of bstr (RFC 9360)")
            }
        }
        other = map
    }
}
