import Crypto
import DNSServer
import DNSWire
import Foundation
import PKI

/// The TSIG key (RFC 8945, HMAC-SHA256) ordinary secondaries (NSD, Knot) transfer the zone with.
///
/// Derived from the operator secret, so it is never written anywhere by the registry and every node of a deployment
/// that shares the secret has the same key; `iotreg zone secondary` prints it into the secondary's configuration.
extension RegistryHome {
    static let transferKeyName = "iotreg-xfr."

    /// The 32-octet shared secret of ``transferKeyName``.
    func transferKeySecret() throws -> [UInt8] {
        try operatorSecret(create: false).derivedKey(purpose: "dns zone transfer").withUnsafeBytes { Array($0) }
    }

    func transferKey() throws -> TSIGKey {
        try TSIGKey(name: try DNSName(Self.transferKeyName), secret: try transferKeySecret())
    }
}
