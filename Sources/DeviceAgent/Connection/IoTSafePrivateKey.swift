import Crypto
public import DeviceKit
import Foundation
public import NIOCore
public import NIOPosix
public import NIOSSL

/// The TLS client key that never leaves the eSIM: NIOSSL asks it to sign, it asks the IoT SAFE applet.
///
/// For ECDSA P-256 with SHA-256 (TLS 1.3 `ecdsa_secp256r1_sha256`, 0x0403) NIOSSL hands over the unhashed
/// signed content; this key hashes it with SHA-256 on the host, has the applet sign the digest (COMPUTE SIGNATURE
/// mode 03), and converts the applet's raw r‖s (64 bytes, IoT SAFE) into the DER ECDSA-Sig-Value TLS carries
/// (RFC 8446 §4.2.3). APDU exchanges may block (a real modem takes tens of milliseconds), so they run on NIO's
/// thread pool, never on the event loop.
public struct IoTSafePrivateKey: NIOSSLCustomPrivateKey, Hashable {
    /// The applet session the key lives behind.
    public let client: IoTSafeClient
    /// The private key container.
    public let keyID: UInt8
    private let identity = UUID()
    private let threadPool: NIOThreadPool

    public init(
        client: IoTSafeClient, keyID: UInt8 = IoTSafePersonalisation.clientKeyID,
        threadPool: NIOThreadPool = .singleton
    ) {
        self.client = client
        self.keyID = keyID
        self.threadPool = threadPool
    }

    public var signatureAlgorithms: [SignatureAlgorithm] { [.ecdsaSecp256R1Sha256] }

    public func sign(channel: any Channel, algorithm: SignatureAlgorithm, data: ByteBuffer) -> EventLoopFuture<
        ByteBuffer
    > {
        guard algorithm == .ecdsaSecp256R1Sha256 else {
            return channel.eventLoop.makeFailedFuture(
                DeviceAgentError(.signingFailed, "the eSIM key signs only ecdsa_secp256r1_sha256, not \(algorithm)"))
        }
        let content = Array(data.readableBytesView)
        let client = self.client
        let keyID = self.keyID
        return threadPool.runIfActive(eventLoop: channel.eventLoop) {
            try Self.sign(content, client: client, keyID: keyID)
        }.map { ByteBuffer(bytes: $0) }
    }

    public func decrypt(channel: any Channel, data: ByteBuffer) -> EventLoopFuture<ByteBuffer> {
        channel.eventLoop.makeFailedFuture(DeviceAgentError(.signingFailed, "an EC key does not decrypt"))
    }

    /// SHA-256 of `content`, signed by the applet, as DER ECDSA-Sig-Value.
    static func sign(_ content: [UInt8], client: IoTSafeClient, keyID: UInt8) throws -> [UInt8] {
        let digest = Array(SHA256.hash(data: content))
        let raw: [UInt8]
        do { raw = try client.sign(digest: digest, with: keyID) } catch {
            throw DeviceAgentError(.signingFailed, "the IoT SAFE applet refused to sign: \(error)")
        }
        guard raw.count == 64, let signature = try? P256.Signing.ECDSASignature(rawRepresentation: raw) else {
            throw DeviceAgentError(.signingFailed, "the applet returned \(raw.count) bytes, not a raw r‖s signature")
        }
        return Array(signature.derRepresentation)
    }

    /// One signature over `content` exactly as the TLS stack gets it (for tests and diagnostics).
    public static func signForTesting(
        _ content: [UInt8], client: IoTSafeClient, keyID: UInt8 = IoTSafePersonalisation.clientKeyID
    ) throws -> [UInt8] {
        try sign(content, client: client, keyID: keyID)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.identity == rhs.identity }
    public func hash(into hasher: inout Hasher) { hasher.combine(identity) }
}
