import Crypto
import EPPServer
import Foundation
import PKI

/// TLS identities of the registry's own listeners (DNS over TLS, EPP), their private keys sealed at rest.
///
/// ```
/// <folder>/epp-tls.pem           the certificate chain (public)
/// <folder>/epp-tls.key.sealed    the private key, AES-256-GCM under a key derived from the operator secret, 0600
/// ```
///
/// To bring your own certificate, put `epp-tls.pem` and the plain `epp-tls.key` (PEM) in the folder and restart:
/// the key is sealed and the plain file removed at start. Without either, a self-signed identity is made once and
/// kept, so pins on it (the DoT SPKI pin payloads carry) stay valid across restarts.
extension RegistryHome {
    func sealedTLSIdentity(in folder: URL, purpose: String) throws -> EPPTLSIdentity {
        let manager = FileManager.default
        try manager.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let certificateURL = folder.appendingPathComponent("epp-tls.pem")
        let plainKeyURL = folder.appendingPathComponent("epp-tls.key")
        let sealedKeyURL = folder.appendingPathComponent("epp-tls.key.sealed")
        let sealingKey = try operatorSecret(create: false).derivedKey(purpose: "tls identity \(purpose)")
        let certificate = manager.contents(atPath: certificateURL.path).map { String(decoding: $0, as: UTF8.self) }
        if let certificate, let plain = manager.contents(atPath: plainKeyURL.path) {
            try Self.seal(plain, to: sealedKeyURL, key: sealingKey)
            try manager.removeItem(at: plainKeyURL)
            return EPPTLSIdentity(
                certificateChainPEM: certificate, privateKeyPEM: String(decoding: plain, as: UTF8.self))
        }
        if let certificate, let sealed = manager.contents(atPath: sealedKeyURL.path) {
            let box: AES.GCM.SealedBox
            let plain: Data
            do {
                box = try AES.GCM.SealedBox(combined: sealed)
                plain = try AES.GCM.open(box, using: sealingKey)
            } catch {
                throw CLIError(
                    "\(sealedKeyURL.path) does not open with this operator secret (another key file or passphrase?)")
            }
            return EPPTLSIdentity(
                certificateChainPEM: certificate, privateKeyPEM: String(decoding: plain, as: UTF8.self))
        }
        let identity = try EPPTLSIdentity.selfSigned()
        try Self.seal(Data(identity.privateKeyPEM.utf8), to: sealedKeyURL, key: sealingKey)
        try Data(identity.certificateChainPEM.utf8).write(to: certificateURL, options: .atomic)
        return identity
    }

    private static func seal(_ plain: Data, to url: URL, key: SymmetricKey) throws {
        guard let sealed = try AES.GCM.seal(plain, using: key).combined else {
            throw CLIError("cannot seal the TLS key for \(url.path)")
        }
        _ = FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600])
        try sealed.write(to: url)
    }
}
