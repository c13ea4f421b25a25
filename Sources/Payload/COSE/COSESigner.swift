public import Crypto

/// Something that can make a COSE signature over to-be-signed bytes.
///
/// The registry's payload key lives in its key store (possibly an HSM), so signing is an abstraction: the COSE code
/// hands over the `Sig_structure` bytes and gets back the raw signature; the key never has to be in this process.
public protocol COSESigner: Sendable {
    /// The algorithm the signatures are made with (written into the protected header).
    var algorithm: COSEAlgorithm { get }
    /// Signs `toBeSigned` (the encoded `Sig_structure`); for ES256 the result is `r || s`, 64 bytes.
    func signature(for toBeSigned: [UInt8]) throws -> [UInt8]
}

/// An ES256 signer over an in-memory P-256 key (tests, tools, and registries without an HSM).
public struct P256COSESigner: COSESigner {
    private let privateKey: P256.Signing.PrivateKey

    /// Wraps a P-256 signing key.
    public init(privateKey: P256.Signing.PrivateKey) { self.privateKey = privateKey }

    public var algorithm: COSEAlgorithm { .es256 }

    public func signature(for toBeSigned: [UInt8]) throws -> [UInt8] {
        do {
            return Array(try privateKey.signature(for: toBeSigned).rawRepresentation)
        } catch {
            throw PayloadError(.signingFailed, "P-256 signing failed: \(error)")
        }
    }
}

/// An ES256 signer that delegates to a closure, so a key store can sign without conforming a type.
public struct ClosureCOSESigner: COSESigner {
    public let algorithm: COSEAlgorithm
    private let sign: @Sendable ([UInt8]) throws -> [UInt8]

    /// - Parameters:
    ///   - algorithm: the algorithm the closure signs with (default ES256).
    ///   - sign: given the to-be-signed bytes, returns the raw signature (`r || s` for ES256).
    public init(algorithm: COSEAlgorithm = .es256, sign: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
        self.algorithm = algorithm
        self.sign = sign
    }

    public func signature(for toBeSigned: [UInt8]) throws -> [UInt8] { try sign(toBeSigned) }
}
