import Crypto
import Foundation
public import HummingbirdTLS
import NIOCore
public import NIOSSL
import PKI
public import RegistryCore
import SwiftASN1
import X509

/// The TLS side of EST (RFC 7030 §3.3): the listener on which a device renews with its current certificate.
///
/// Why a listener of its own: the REST API is plain HTTP on loopback behind whatever terminates TLS for it, while
/// `simplereenroll` must see the device's TLS client certificate (RFC 7030 §3.3.2). `iotreg serve --est H:P` runs
/// the same router over TLS here; a request that arrives with a client certificate is authenticated by it.
///
/// The server certificate is issued at start-up by the issuing CA for the listener's names (key in memory only, never
/// written). Client certificates are optional (`cacerts` and MNO-vouched requests need none); one is accepted at
/// the TLS layer only when this registry issued exactly those bytes. Whether it is still good, current and
/// unexpired is the core's decision, answered as problem+json rather than as a failed handshake.
public enum ESTTLSListener {
    /// The TLS configuration for the EST listener.
    ///
    /// - Parameters:
    ///   - dnsNames: host names the server certificate carries (e.g. `localhost`, the registry's host name).
    ///   - ipAddresses: IP addresses it carries (e.g. `127.0.0.1`).
    public static func configuration(registry: Registry, dnsNames: [String], ipAddresses: [String]) throws
        -> TLSChannelConfiguration
    {
        guard let pki = registry.pki else {
            throw RegistryError(.unavailable, "the EST listener needs the registry's CA; run `iotreg init` first")
        }
        let issuer = try pki.issuer
        let key = P256.Signing.PrivateKey()
        let certificate = try ServerCertificateProfile(
            publicKey: Certificate.PublicKey(key.publicKey), dnsNames: dnsNames, ipAddresses: ipAddresses,
            validity: 30 * 86_400, urls: pki.urls
        ).issue(by: issuer)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [
                .certificate(try NIOSSLCertificate(bytes: certificate.derBytes, format: .der)),
                .certificate(try NIOSSLCertificate(bytes: issuer.certificate.derBytes, format: .der)),
            ],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)))
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: pki.hierarchy.root.certificate.derBytes, format: .der)])
        tls.minimumTLSVersion = .tlsv12
        let store = registry.store
        return TLSChannelConfiguration(
            tlsConfiguration: tls,
            customAsyncVerificationCallback: { certificates in
                guard let leaf = certificates.first, let der = try? leaf.toDERBytes(),
                    let parsed = try? Certificate(derEncoded: der),
                    let record = try? await store.certificate(
                        serial: RegistryPKI.serialHex(parsed.serialNumber.bytes)),
                    record.der == der
                else { return .failed }
                return .certificateVerified
            })
    }
}
