import Synchronization

/// A key store that forgets everything when the process ends: for tests and throw-away demos.
public final class InMemoryKeyStore: KeyStore {
    private let keys = Mutex<[String: SoftwareSigner]>([:])

    /// An empty store.
    public init() {}

    public func generateKey(label: String, algorithm: KeyAlgorithm) throws -> any KeyStoreSigner {
        try SoftwareKeyStore.checkLabel(label)
        let signer = try SoftwareSigner.generate(label: label, algorithm: algorithm)
        try keys.withLock { keys in
            guard keys[label] == nil else { throw PKIError(.keyExists, "a key labelled '\(label)' exists already") }
            keys[label] = signer
        }
        return signer
    }

    public func signer(label: String) throws -> any KeyStoreSigner {
        guard let signer = keys.withLock({ $0[label] }) else {
            throw PKIError(.keyNotFound, "no key labelled '\(label)' in the in-memory key store")
        }
        return signer
    }

    public func labels() throws -> [String] { keys.withLock { $0.keys.sorted() } }

    public func deleteKey(label: String) throws {
        try keys.withLock { keys in
            guard keys.removeValue(forKey: label) != nil else {
                throw PKIError(.keyNotFound, "no key labelled '\(label)' in the in-memory key store")
            }
        }
    }
}
