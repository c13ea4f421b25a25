import Crypto

/// A SHA-256 digest computed elsewhere (by the host, for pad-and-sign mode 3), so swift-crypto can sign or verify it
/// without hashing again.
struct PrehashedSHA256: Digest {
    static let byteCount = 32
    let bytes: [UInt8]

    init?(_ bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }

    var description: String { "SHA256 prehashed digest" }
}
