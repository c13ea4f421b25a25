import DNSSEC
import DNSServer
import DNSWire
import Foundation
import NIOCore
import NIOPosix
import PeerTesting

/// The test zone `iotregistry.test.` (as in DNSSECTests): apex SOA/NS/A, CA TLSA 0 0 0 at the apex, the DANE-TA
/// wildcard `*._device`, and per fake device `<eid>._device` TLSA 3 1 1 and `<rpid>.<eid>` CERT PKIX 0 0.
enum TestZone {
    static let apex = try! DNSName("iotregistry.test.")

    static func eid(_ i: Int) -> String {
        let s = String(i)
        return "8904903200" + String(repeating: "0", count: 22 - s.count) + s
    }

    static func fakeBytes(_ seed: Int, count: Int) -> [UInt8] {
        var x = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        return (0..<count).map { _ in
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            return UInt8(truncatingIfNeeded: x)
        }
    }

    static func tlsaName(_ i: Int) throws -> DNSName { try DNSName("\(eid(i))._device", origin: apex) }
    static func certName(_ i: Int, rpid: Int? = nil) throws -> DNSName {
        try DNSName("\(rpid ?? (i + 10)).\(eid(i))", origin: apex)
    }

    static func deviceRecords(_ i: Int, rpid: Int? = nil) throws -> [ResourceRecord] {
        let tlsa = TLSA(
            usage: .daneEE, selector: .subjectPublicKeyInfo, matchingType: .sha256, data: fakeBytes(i, count: 32))
        let cert = CERT(
            certificateType: .pkix, keyTag: 0, algorithm: DNSSECAlgorithm(rawValue: 0),
            certificate: [0x30, 0x82, 0x01, 0x00] + fakeBytes(i + 7, count: 256))
        return [
            ResourceRecord(name: try tlsaName(i), ttl: 300, rdata: .tlsa(tlsa)),
            ResourceRecord(name: try certName(i, rpid: rpid), ttl: 300, rdata: .cert(cert)),
        ]
    }

    static func records(devices: Int) throws -> [ResourceRecord] {
        var out = try ZoneFileReader(origin: apex, defaultTTL: 300).read(
            """
            @ 3600 IN SOA ns1 hostmaster 2026112300 3600 900 1209600 300
            @ 3600 IN NS ns1
            ns1 3600 IN A 127.0.0.1
            @ 300 IN TLSA 0 0 0 308201000102030405060708090a0b0c0d0e0f
            *._device 300 IN TLSA 2 0 1 d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971
            """)
        for i in 0..<devices { out += try deviceRecords(i) }
        return out
    }

    static func signed(devices: Int = 5) throws -> SignedZone {
        try SignedZone(apex: apex, records: records(devices: devices), keys: .generate())
    }

    /// `KEYTAG 13 2 DIGEST` of the zone's KSK, for trust-anchor files.
    static func ds(_ zone: SignedZone) -> String { zone.dsRecord.rdata.presentation }

    static func query(_ name: DNSName, _ type: RecordType, dnssec: Bool = true, id: UInt16 = 0x1234) -> Message {
        Message(
            header: Header(id: id), questions: [Question(name: name, type: type)],
            edns: EDNS(udpPayloadSize: 4096, dnssecOK: dnssec))
    }

    /// A port free on 127.0.0.1 for both UDP and TCP right now (for a peer that needs a fixed port).
    static func freePort() throws -> Int {
        for _ in 0..<20 {
            let port = Int.random(in: 20000...60000)
            let tcp = try? ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(
                host: "127.0.0.1", port: port
            )
            .wait()
            let udp = try? DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(
                host: "127.0.0.1", port: port
            ).wait()
            try? tcp?.close().wait()
            try? udp?.close().wait()
            if tcp != nil, udp != nil { return port }
        }
        throw DNSServerError(.bindFailed, "no free port found")
    }
}
