import ASPKit
import Crypto
import DANE
import DNSSEC
import DNSServer
import DNSWire
import DeviceAgent
import DeviceKit
import Foundation
import NIOCore
import NIOSSL
import PeerTesting
import SwiftASN1
import X509

/// Certificates for the tests, made with swift-certificates: an issuing CA, device certificates in the registry's
/// profile (CN `<rpid>.<eid>.Z`, SAN `<eid>._device.Z`, EKU clientAuth) and ASP server certificates.
struct TestCA {
    let key = P256.Signing.PrivateKey()
    let certificate: Certificate
    let name: DistinguishedName

    init(commonName: String = "IoT Registry Test Issuing CA") throws {
        name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 3600,
            notValidAfter: now + 86400, issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            }, issuerPrivateKey: .init(key))
    }

    var der: [UInt8] { (try? certificate.derBytes()) ?? [] }

    func issue(
        publicKey: P256.Signing.PublicKey, commonName: String, dnsNames: [String], clientAuth: Bool,
        notValidAfter: Date = Date() + 86400
    ) throws -> [UInt8] {
        let subject = try DistinguishedName { CommonName(commonName) }
        let cert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(publicKey), notValidBefore: Date() - 3600,
            notValidAfter: notValidAfter, issuer: name, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([clientAuth ? .clientAuth : .serverAuth])
                SubjectAlternativeNames(dnsNames.map { GeneralName.dnsName($0) })
            }, issuerPrivateKey: .init(key))
        return try cert.derBytes()
    }

    func device(eid: String, rpid: Int = 11, publicKey: P256.Signing.PublicKey) throws -> [UInt8] {
        try issue(
            publicKey: publicKey, commonName: "\(rpid).\(eid).iotregistry.test",
            dnsNames: ["\(eid)._device.iotregistry.test"], clientAuth: true)
    }
}

enum Fixture {
    static let apex = try! DNSName("iotregistry.test.")
    static let aspFQDN = "parkoserv.iotregistry.test"

    static func eid(_ i: Int) -> String {
        let s = String(i)
        return "8904903200" + String(repeating: "0", count: 22 - s.count) + s
    }

    static func deviceName(_ eid: String) throws -> DNSName { try DNSName("\(eid)._device", origin: apex) }
    static func aspTLSAName(port: Int) throws -> DNSName { try DNSName("_\(port)._tcp.parkoserv", origin: apex) }

    static func tlsa(_ der: [UInt8], usage: TLSA.CertificateUsage = .daneEE) -> TLSA {
        usage == .daneTA
            ? TLSAMatcher.record(for: der, usage: .daneTA, selector: .fullCertificate, matchingType: .sha256)!
            : TLSAMatcher.record(for: der)!
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func pem(_ der: [UInt8]) -> String {
        ((try? PEMDocument(type: "CERTIFICATE", derBytes: der).pemString) ?? "") + "\n"
    }
}

/// A signed `iotregistry.test.` zone served over UDP/TCP and DoT by our DNSServer on 127.0.0.1, with the
/// registry's DANE records; tests change it with ``publish(_:)``.
final class ZoneHarness: @unchecked Sendable {
    var zone: SignedZone
    let server: DNSServer
    let ports: DNSServer.BoundPorts
    let dotKey = P256.Signing.PrivateKey()
    let dotPin: [UInt8]
    let ca: TestCA
    let dir: URL

    init(records extra: [ResourceRecord], ca: TestCA) async throws {
        self.ca = ca
        dir = try PeerTool.temporaryDirectory("dane")
        var records = try ZoneFileReader(origin: Fixture.apex, defaultTTL: 300).read(
            """
            @ 3600 IN SOA ns1 hostmaster 2026112300 3600 900 1209600 300
            @ 3600 IN NS ns1
            ns1 3600 IN A 127.0.0.1
            parkoserv 300 IN A 127.0.0.1
            """)
        records.append(
            ResourceRecord(
                name: try DNSName("_ca._device", origin: Fixture.apex), ttl: 300,
                rdata: .tlsa(Fixture.tlsa(ca.der, usage: .daneTA))))
        records += extra
        zone = try SignedZone(apex: Fixture.apex, records: records, keys: .generate())
        let dotCA = try TestCA(commonName: "DoT test")
        let dotCert = try dotCA.issue(
            publicKey: dotKey.publicKey, commonName: "ns1.iotregistry.test", dnsNames: ["ns1.iotregistry.test"],
            clientAuth: false)
        dotPin = Array(SHA256.hash(data: TLSAMatcher.selectedBytes(.subjectPublicKeyInfo, certificateDER: dotCert)!))
        var config = DNSServer.Configuration()
        // Far beyond a test's life: under a loaded CI machine the default 10 s idle close can fall between two
        // queries of one test, which then sees a second connection where it asserts reuse.
        config.idleTimeout = .seconds(600)
        config.tlsCertificateChainPEM = Fixture.pem(dotCert)
        config.tlsPrivateKeyPEM = dotKey.pemRepresentation
        server = DNSServer(configuration: config, zoneStore: ZoneStore(zone))
        ports = try await server.start(
            udpTCP: .init(host: "127.0.0.1", port: 0), dot: .init(host: "127.0.0.1", port: 0))
    }

    var anchors: [TrustAnchor] { [try! TrustAnchor(record: zone.dsRecord)] }
    var dotPort: Int { ports.tls ?? 0 }

    func dot(pin: [UInt8]? = nil) -> DNSOverTLSClient {
        DNSOverTLSClient(
            .init(host: "127.0.0.1", port: dotPort, spkiSHA256Pins: [pin ?? dotPin], queryTimeout: .seconds(5)))
    }

    func resolver(anchors: [TrustAnchor]? = nil, pin: [UInt8]? = nil, transport: (any DNSTransport)? = nil)
        -> ValidatingResolver
    {
        ValidatingResolver(trustAnchors: anchors ?? self.anchors, transport: transport ?? dot(pin: pin))
    }

    func publish(_ change: ZoneChange) async throws {
        let diff = try zone.apply(change)
        _ = try await server.publish(zone, diff: diff)
    }

    func stop() async {
        await server.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    /// delv's output for `name TYPE`, validating with the zone's DS (peer-tools.md §5).
    func delv(_ name: DNSName, _ type: String) async throws -> String {
        var fields = zone.dsRecord.rdata.presentation.split(separator: " ").map(String.init)
        if let digest = fields.popLast() { fields.append("\"\(digest)\"") }
        let ta = dir.appendingPathComponent("ta.conf")
        try "trust-anchors {\n  \"iotregistry.test.\" static-ds \(fields.joined(separator: " "));\n};\n"
            .write(to: ta, atomically: true, encoding: .utf8)
        return try await PeerTool.runDetached(
            "delv",
            [
                "@127.0.0.1", "-p", String(ports.udp ?? 0), "-a", ta.path, "+root=iotregistry.test", name.description,
                type,
            ],
            timeout: 60
        ).output
    }
}

/// A device whose client key lives in a simulated IoT SAFE applet, with a certificate from the test CA.
struct SimulatedDevice {
    let eid: String
    let client: IoTSafeClient
    let certificate: [UInt8]
    let chain: [[UInt8]]

    init(eid: String, ca: TestCA) throws {
        self.eid = eid
        client = try IoTSafeClient(applet: try SimulatedIoTSafeApplet())
        _ = try client.generateKeyPair(in: IoTSafePersonalisation.clientKeyID)
        let key = try client.signingPublicKey()
        certificate = try ca.device(eid: eid, publicKey: key)
        chain = [certificate, ca.der]
    }

    var name: DNSName { try! Fixture.deviceName(eid) }
    var tlsaRecord: ResourceRecord { ResourceRecord(name: name, ttl: 300, rdata: .tlsa(Fixture.tlsa(certificate))) }
}

/// The whole scene: a zone with devices, the sample ASP with its TLSA published, and helpers to build agents.
final class Scene: @unchecked Sendable {
    let ca: TestCA
    let zone: ZoneHarness
    let devices: [SimulatedDevice]
    let aspKey = P256.Signing.PrivateKey()
    let aspCertificate: [UInt8]
    let authenticator: DANEClientAuthenticator
    let asp: SampleASPServer
    let port: Int

    /// - Parameters:
    ///   - aspResolver: builds the ASP's resolver from the zone harness (default: right anchors and pin).
    ///   - publishDevices: which devices get their TLSA published (default all).
    init(
        devices count: Int = 2, publishDevices: Set<Int>? = nil, daneChecks: Bool = true,
        acceptIssuerTA: Bool = false, aspResolver: ((ZoneHarness) -> ValidatingResolver)? = nil
    ) async throws {
        let ca = try TestCA()
        self.ca = ca
        let devices = try (0..<count).map { try SimulatedDevice(eid: Fixture.eid($0), ca: ca) }
        self.devices = devices
        zone = try await ZoneHarness(
            records: devices.indices.filter { publishDevices?.contains($0) ?? true }.map { devices[$0].tlsaRecord },
            ca: ca)
        aspCertificate = try ca.issue(
            publicKey: aspKey.publicKey, commonName: Fixture.aspFQDN, dnsNames: [Fixture.aspFQDN], clientAuth: false)
        let resolver = aspResolver?(zone) ?? zone.resolver()
        authenticator = DANEClientAuthenticator(zone: Fixture.apex, resolver: resolver, acceptIssuerTA: acceptIssuerTA)
        asp = SampleASPServer(
            .init(
                name: "ParkoServ", certificateChain: [aspCertificate, ca.der],
                privateKey: try NIOSSLPrivateKey(bytes: Array(aspKey.pemRepresentation.utf8), format: .pem),
                daneChecks: daneChecks),
            authenticator: authenticator)
        port = try await asp.start()
        try await zone.publish(
            ZoneChange(additions: [
                ResourceRecord(
                    name: try Fixture.aspTLSAName(port: port), ttl: 300, rdata: .tlsa(Fixture.tlsa(aspCertificate)))
            ]))
    }

    func agent(_ i: Int = 0, resolver: ValidatingResolver? = nil) throws -> DeviceAgent {
        let d = devices[i]
        return try DeviceAgent(
            aspFQDN: Fixture.aspFQDN, aspPort: port, connectHost: "127.0.0.1", certificateChain: d.chain,
            identity: "\(d.eid)._device.iotregistry.test", iotSafe: d.client, resolver: resolver ?? zone.resolver(),
            timeout: .seconds(10))
    }

    func stop() async {
        await asp.stop()
        await zone.stop()
    }
}

extension Certificate {
    func derBytes() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return serializer.serializedBytes
    }
}
