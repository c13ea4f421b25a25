import Crypto
import Foundation
import Testing

@testable import Payload

/// A complete sample payload (certificates are placeholder bytes: Payload does not parse X.509).
enum SamplePayload {
    static let eid = "89049032123451234512345678901235"

    static func make(sequence: UInt64 = 7, wifiRecipient: P256.KeyAgreement.PublicKey? = nil) throws -> RegistryPayload
    {
        let wifi = try wifiRecipient.map {
            try RegistryPayload.WiFi.seal(ssid: "city-meters", passphrase: "correct horse", to: $0, eid: eid)
        }
        return RegistryPayload(
            sequence: sequence,
            issuedAt: Date(timeIntervalSince1970: 1_795_000_000),
            notAfter: Date(timeIntervalSince1970: 1_795_000_000 + 86_400 * 30),
            device: .init(
                eid: eid,
                rpid: 16,
                dnsName: "\(eid)._device.iotregistry.test.",
                certificate: [0x30, 0x82, 0x01, 0x00],
                issuingCA: [0x30, 0x82, 0x02, 0x00]
            ),
            asp: .init(
                fqdn: "mqtt.parkoserv.test",
                port: 8883,
                url: "mqtts://mqtt.parkoserv.test:8883/meters",
                protocol: "mqtts",
                certificate: [0x30, 0x82, 0x03, 0x00],
                tlsa: .init(
                    owner: "_8883._tcp.mqtt.parkoserv.test.",
                    usage: 3,
                    selector: 1,
                    matchingType: 1,
                    data: [UInt8](repeating: 0xAB, count: 32)
                )
            ),
            registryRoot: [0x30, 0x82, 0x04, 0x00],
            resolver: .init(
                address: "127.0.0.1",
                authenticationName: "dot.iotregistry.test",
                spkiSHA256: [UInt8](repeating: 0xCD, count: 32)
            ),
            trustAnchors: DNSTrustAnchor.ianaRoot + [
                DNSTrustAnchor(
                    zone: "iotregistry.test.",
                    keyTag: 46690,
                    algorithm: 13,
                    digestType: 2,
                    digest: [UInt8](repeating: 0x06, count: 32)
                )
            ],
            wifi: wifi,
            mudURL: "https://mud.parkoserv.test/meter-v1.json",
            estURL: "https://est.iotregistry.test:8443/.well-known/est"
        )
    }
}

@Suite struct RegistryPayloadTests {
    @Test func roundTripsThroughDeterministicCBOR() throws {
        let payload = try SamplePayload.make(wifiRecipient: P256.KeyAgreement.PrivateKey().publicKey)
        let bytes = payload.encoded()
        #expect(try RegistryPayload(decoding: bytes) == payload)
        #expect(try RegistryPayload(decoding: bytes).encoded() == bytes)
        #expect(bytes.first == 0xAC)  // map of 12 entries (no seed signatures)
    }

    @Test func ianaRootAnchorsAsDSRecords() {
        #expect(
            DNSTrustAnchor.rootKSK2017.dsRecord
                == ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"
        )
        #expect(
            DNSTrustAnchor.rootKSK2024.dsRecord
                == ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16"
        )
    }

    @Test func signedPayloadVerifies() throws {
        let key = P256.Signing.PrivateKey()
        let payload = try SamplePayload.make()
        let signed = try payload.signed(
            by: P256COSESigner(privateKey: key),
            keyID: [1, 2, 3],
            certificateChain: [[0x30, 0x01], [0x30, 0x02]]
        )
        let message = try COSESign1(decoding: signed)
        try message.verify(publicKey: key.publicKey)
        #expect(message.protected.keyID == [1, 2, 3])
        #expect(message.protected.x5chain?.count == 2)
        #expect(try RegistryPayload(decoding: message.payload ?? []) == payload)
    }

    @Test func wifiSecretOpensOnlyForItsDeviceAndKey() throws {
        let esimKey = P256.KeyAgreement.PrivateKey()
        let payload = try SamplePayload.make(wifiRecipient: esimKey.publicKey)
        let wifi = try #require(payload.wifi)
        let recipient = P256HPKEKeyAgreement(privateKey: esimKey)
        #expect(try wifi.openPassphrase(using: recipient, eid: SamplePayload.eid) == "correct horse")
        #expect(throws: PayloadError(.decryptionFailed, "")) {
            try wifi.openPassphrase(using: recipient, eid: "89049032123451234512345678901243")
        }
    }

    @Test func seedEndpointJSONIsFixed() {
        let asp = RegistryPayload.ASPEndpoint(fqdn: "a.test", port: 443, url: "https://a.test/\"x\"", protocol: "https")
        #expect(String(decoding: asp.seedEndpointJSON, as: UTF8.self) == #"{"url":"https://a.test/\"x\"","port":443}"#)
    }

    @Test func refusesOtherVersionsAndMissingFields() throws {
        var map = try #require(try SamplePayload.make().cbor.mapValue)
        map[1] = 2
        #expect(throws: PayloadError(.unsupportedVersion, "")) { try RegistryPayload(cbor: .map(map)) }
        map[1] = 1
        map[5] = nil
        #expect(throws: PayloadError(.missingField, "")) { try RegistryPayload(cbor: .map(map)) }
        map[5] = "not a map"
        #expect(throws: PayloadError(.unexpectedType, "")) { try RegistryPayload(cbor: .map(map)) }
    }

    @Test func refusesNonDeterministicEncoding() throws {
        var bytes = try SamplePayload.make().encoded()
        // version 1 written as 0x18 0x01 instead of 0x01.
        let index = try #require(bytes.firstIndex(of: 0x01))
        bytes.replaceSubrange(index...index, with: [0x18, 0x01])
        #expect(throws: PayloadError(.notDeterministic, "")) { try RegistryPayload(decoding: bytes) }
    }

    @Test func fuzzNeverTraps() throws {
        let seed = try SamplePayload.make(wifiRecipient: P256.KeyAgreement.PrivateKey().publicKey).encoded()
        for input in Fuzz.inputs(seeds: [seed], count: 5_000, seed: 99) {
            _ = try? RegistryPayload(decoding: input)
        }
    }
}
