import DNSSEC
import DNSWire
import Foundation
import PeerTesting
import Testing

@Suite struct DNSSECKeyTests {
    @Test func rolesAndFlags() {
        #expect(DNSSECKey(role: .keySigning).dnskey.flags == 257)
        #expect(DNSSECKey(role: .zoneSigning).dnskey.flags == 256)
        #expect(DNSSECKey(role: .keySigning).dnskey.publicKey.count == 64)
    }

    @Test func privateKeyExportImportRoundTrip() throws {
        let key = DNSSECKey(role: .keySigning)
        let raw = key.privateKeyRawBytes
        #expect(raw.count == 32)
        let back = try DNSSECKey(role: .keySigning, privateKeyRawBytes: raw)
        #expect(back.dnskey == key.dnskey && back.keyTag == key.keyTag)
        // The description never carries key material.
        let hex = raw.map { String(format: "%02x", $0) }.joined()
        #expect(!key.description.contains(hex) && key.description.hasPrefix("KSK tag="))
    }

    @Test func importRefusesBadScalars() {
        #expect(throws: DNSSECError(.badKey, "")) { try DNSSECKey(role: .zoneSigning, privateKeyRawBytes: [1, 2, 3]) }
        #expect(throws: DNSSECError(.badKey, "")) {
            try DNSSECKey(role: .zoneSigning, privateKeyRawBytes: [UInt8](repeating: 0xFF, count: 32))
        }
        #expect(throws: DNSSECError(.badKey, "")) {
            try ZoneKeys(keySigningKey: DNSSECKey(role: .zoneSigning), zoneSigningKey: DNSSECKey(role: .zoneSigning))
        }
    }

    /// RFC 6605 §6.1: the example KSK has key tag 55648 and this SHA-256 DS.
    @Test func rfc6605ExampleKeyTagAndDS() throws {
        let rdata = try RData(
            type: .dnskey,
            presentation:
                "257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==")
        guard case .dnskey(let dnskey) = rdata else { Issue.record("not a DNSKEY"); return }
        #expect(dnskey.keyTag == 55648)
        let ds = DNSSECKey.ds(for: dnskey, owner: try DNSName("example.net."))
        #expect(ds.keyTag == 55648 && ds.digestType == .sha256)
        #expect(
            ds.digest.map { String(format: "%02x", $0) }.joined()
                == "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17")
    }

    /// BIND computes the same DS from our DNSKEY.
    @Test(.enabled(if: PeerTool.isAvailable("dnssec-dsfromkey")))
    func dsMatchesBind() throws {
        let dir = try PeerTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = DNSSECKey(role: .keySigning)
        let apex = try DNSName("iotregistry.test.")
        let file = dir.appendingPathComponent("Kiotregistry.test.key")
        try ResourceRecord(name: apex, ttl: 3600, rdata: .dnskey(key.dnskey)).description.write(
            to: file, atomically: true, encoding: .utf8)
        let r = try PeerTool.run("dnssec-dsfromkey", ["-2", "-f", file.path, "iotregistry.test"])
        #expect(r.status == 0, "\(r.output)")
        let theirs = try ZoneFileReader(defaultTTL: 3600).read(r.stdout)
        #expect(theirs.first?.rdata == .ds(key.ds(owner: apex)))
    }
}
