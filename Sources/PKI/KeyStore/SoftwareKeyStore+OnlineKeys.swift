public import Crypto

extension SoftwareKeyStore {
    /// The P-256 private key under `label`, in process memory.
    ///
    /// Why it exists: an online signer that re-signs on every change, such as the DNSSEC zone signer, must hold
    /// its key (as BIND and Knot do); the key still lives encrypted at rest in this store. An HSM-backed store
    /// would not offer this, and such a signer would sign through ``KeyStoreSigner`` instead.
    /// - Throws: ``PKIError`` `keyNotFound`, `wrongSecretOrTampered`, or `unsupportedKey` for a non-P-256 key.
    public func p256PrivateKey(label: String) throws -> P256.Signing.PrivateKey {
        guard let signer = try signer(label: label) as? SoftwareSigner, case .p256(let key) = signer.key else {
            throw PKIError(.unsupportedKey, "key '\(label)' is not an ECDSA P-256 key held in software")
        }
        return key
    }
}
