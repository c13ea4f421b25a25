import Crypto
import DNSSEC
import DNSWire
import Foundation
import PKI
import RegistryZone
import SwiftASN1
import X509

/// A CA tree in memory and an in-memory registry the publisher reads, for the zone tests.
enum ZoneFixtures {
    static let apex = "iotregistry.test."

    static func hierarchy() throws -> CAHierarchy {
        try CAHierarchy.create(
            keyStore: InMemoryKeyStore(),
            rootSubject: try DistinguishedName(parsing: "CN=Zone Test Root CA, O=IoT Registry Test"),
            issuing: ["default": try DistinguishedName(parsing: "CN=Zone Test Issuing CA, O=IoT Registry Test")]
        )
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    /// A valid EID: 30 digits then the ISO 7064 mod 97-10 check digits.
    static func eid(_ n: Int) -> String {
        let body = "8904903200" + String(format: "%020d", n)
        var remainder = 0
        for ch in body + "00" { remainder = (remainder * 10 + Int(String(ch))!) % 97 }
        return body + String(format: "%02d", 98 - remainder)
    }

    static func deviceCertificate(_ ca: CertificateAuthority, eid: String, rpid: Int64) throws -> [UInt8] {
        let key = P256.Signing.PrivateKey()
        let certificate = try DeviceCertificateProfile(
            publicKey: Certificate.PublicKey(key.publicKey), rpid: UInt64(rpid), eid: eid, zone: apex,
            urls: try PublicationURLs(base: "http://127.0.0.1:8080")
        ).issue(by: ca)
        return try der(certificate)
    }
}

/// The registry as the zone sees it, held in memory; tests change it and append change events by hand.
actor InMemoryZoneFacts: ZoneFacts {
    var root: [UInt8]
    var issuing: [[UInt8]]
    var published: [String: PublishedIdentity] = [:]
    var history: [String: [Int64]] = [:]
    var servicesList: [PublishedService] = []
    var events: [(sequence: Int64, eid: String)] = []

    init(root: [UInt8], issuing: [[UInt8]]) {
        self.root = root
        self.issuing = issuing
    }

    /// Publishes (or with nil, withdraws) a device and records the change as the outbox would.
    func set(_ eid: String, _ identity: PublishedIdentity?, event: Bool = true) {
        published[eid] = identity
        if let identity { history[eid, default: []].append(identity.rpid) }
        if event { events.append(((events.last?.sequence ?? 0) + 1, eid)) }
    }

    func addService(_ service: PublishedService) { servicesList.append(service) }

    func caCertificates() -> (root: [UInt8], issuing: [[UInt8]]) { (root, issuing) }

    func identities(after eid: String?, limit: Int) -> [PublishedIdentity] {
        Array(published.values.filter { eid == nil || $0.eid > eid! }.sorted { $0.eid < $1.eid }.prefix(limit))
    }

    func identity(eid: String) -> (current: PublishedIdentity?, rpids: [Int64]) {
        (published[eid], history[eid] ?? [])
    }

    func services() -> [PublishedService] { servicesList }

    func latestChange() -> Int64 { events.last?.sequence ?? 0 }

    func changedDevices(after sequence: Int64, limit: Int) -> (eids: [String], through: Int64) {
        let batch = events.filter { $0.sequence > sequence }.prefix(limit)
        return (batch.map(\.eid), batch.last?.sequence ?? sequence)
    }
}

/// Collects what the publisher hands to the server.
actor RecordingSink: ZoneSink {
    var published: [(serial: UInt32, diff: ZoneDiff?)] = []
    func publish(_ zone: SignedZone, diff: ZoneDiff?) {
        published.append((zone.serial, diff))
    }
}
