// Registry-side throughput of Registry Payloads: build + seal the Wi-Fi secret (HPKE: one P-256 key generation and
// one ECDH) + deterministic CBOR + COSE_Sign1 ES256 (one ECDSA signature). Device side: COSE verify + HPKE open.
// Rates are per CPU second, like `openssl speed`. Prints `name value` lines; bench/payload.sh puts them beside
// `openssl speed` in the same run.
import Crypto
import Foundation
import Payload

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

let arguments = CommandLine.arguments
let seconds = arguments.firstIndex(of: "--seconds").flatMap { Double(arguments[safe: $0 + 1] ?? "") } ?? 3

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

let signingKey = P256.Signing.PrivateKey()
let signer = P256COSESigner(privateKey: signingKey)
let esimKey = P256.KeyAgreement.PrivateKey()
let eid = "89049032123451234512345678901235"
let certificate = [UInt8](repeating: 0x30, count: 450)

func makePayload(sequence: UInt64) throws -> [UInt8] {
    let payload = RegistryPayload(
        sequence: sequence,
        issuedAt: Date(),
        notAfter: Date().addingTimeInterval(86_400 * 30),
        device: .init(
            eid: eid, rpid: sequence, dnsName: "\(eid)._device.iotregistry.test.", certificate: certificate,
            issuingCA: certificate),
        asp: .init(
            fqdn: "mqtt.parkoserv.test", port: 8883, url: "mqtts://mqtt.parkoserv.test:8883", protocol: "mqtts",
            certificate: certificate),
        registryRoot: certificate,
        resolver: .init(
            address: "192.0.2.53", authenticationName: "dot.iotregistry.test",
            spkiSHA256: Array(repeating: 1, count: 32)),
        trustAnchors: DNSTrustAnchor.ianaRoot,
        wifi: try .seal(ssid: "city", passphrase: "correct horse battery", to: esimKey.publicKey, eid: eid)
    )
    return try payload.signed(by: signer, keyID: [1, 2, 3, 4], certificateChain: [certificate, certificate])
}

/// Runs `body` until `seconds` of this thread's CPU time have passed and returns calls per CPU second.
///
/// CPU time, not wall time, because `openssl speed` reports per CPU second too: on a shared, busy machine both
/// figures then stay comparable.
func measure(_ body: (UInt64) throws -> Void) rethrows -> Double {
    func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
    let start = cpuSeconds()
    var count: UInt64 = 0
    var elapsed = 0.0
    while elapsed < seconds {
        try body(count)
        count += 1
        if count % 16 == 0 { elapsed = cpuSeconds() - start }
    }
    return Double(count) / (cpuSeconds() - start)
}

let built = try measure { _ = try makePayload(sequence: $0 + 1) }
let sample = try makePayload(sequence: 1)
let recipient = P256HPKEKeyAgreement(privateKey: esimKey)
let opened = try measure { _ in
    let message = try COSESign1(decoding: sample)
    try message.verify(publicKey: signingKey.publicKey)
    let payload = try RegistryPayload(decoding: message.payload ?? [])
    _ = try payload.wifi?.openPassphrase(using: recipient, eid: eid)
}
print("payload_bytes \(sample.count)")
print("payloads_built_signed_sealed_per_sec \(String(format: "%.1f", built))")
print("payloads_verified_opened_per_sec \(String(format: "%.1f", opened))")
guard arguments.contains("--components") else { exit(0) }

// Components, to see where a payload's time goes.
let template = try RegistryPayload(decoding: COSESign1(decoding: sample).payload ?? [])
let encodes = measure { _ in _ = template.encoded() }
let seals = try measure { _ in
    _ = try HPKEBaseMode.seal(to: esimKey.publicKey, info: [1], aad: [2], plaintext: [3])
}
let peer = P256.KeyAgreement.PrivateKey().publicKey
let keygens = measure { _ in _ = P256.KeyAgreement.PrivateKey() }
let ecdhs = try measure { _ in _ = try esimKey.sharedSecretFromKeyAgreement(with: peer) }
let encodedTemplate = template.encoded()
let signs = try measure { _ in _ = try COSESign1.sign(payload: encodedTemplate, signer: signer) }
let decodes = try measure { _ in _ = try RegistryPayload(decoding: encodedTemplate) }
print("component_cbor_encode_per_sec \(String(format: "%.1f", encodes))")
print("component_cbor_decode_per_sec \(String(format: "%.1f", decodes))")
print("component_hpke_seal_per_sec \(String(format: "%.1f", seals))")
print("component_swiftcrypto_p256_keygen_per_sec \(String(format: "%.1f", keygens))")
print("component_swiftcrypto_p256_ecdh_per_sec \(String(format: "%.1f", ecdhs))")
print("component_cose_sign_per_sec \(String(format: "%.1f", signs))")
