// bench-dane: TLS handshakes per second at the sample ASP with DANE client checks on and off.
//
// Everything on 127.0.0.1 in one process: our DNSServer serves a signed zone with N device TLSA records over DoT;
// a SampleASPServer admits devices through DANEClientAuthenticator (its ValidatingResolver talks DoT to the
// server). Clients are N devices with software P-256 keys, C at a time; each does a TLS 1.3 mutual handshake,
// `HELLO <eid>` → `WELCOME` (admission proven), and closes. Modes:
//   off  : the ASP requires a client certificate but does no DNS (the baseline);
//   cold : DANE on, cache empty: every device's first connection costs a DoT TLSA query + validation;
//   warm : DANE on, every device's TLSA already cached.
// bench/dane-handshakes.sh runs this and then `openssl speed ecdsap256` in the same run (one handshake needs 2 ECDSA
// signs + 2 verifies plus the ECDHE): the machine's bound for the crypto alone.
//
// Usage: swift run -c release bench-dane [devices=400] [concurrency=16]
import ASPKit
import Crypto
import DANE
import DNSSEC
import DNSServer
import DNSWire
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SwiftASN1
import X509

func progress(_ text: String) { FileHandle.standardError.write(Data("bench-dane: \(text)\n".utf8)) }
let args = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let deviceCount = args.first ?? 400
let concurrency = args.dropFirst().first ?? 16
let apex = try DNSName("iotregistry.test.")

func eid(_ i: Int) -> String {
    let s = String(i)
    return "8904903200" + String(repeating: "0", count: 22 - s.count) + s
}

func pem(_ der: [UInt8]) throws -> String { try PEMDocument(type: "CERTIFICATE", derBytes: der).pemString }

// MARK: certificates

let caKey = P256.Signing.PrivateKey()
let caName = try DistinguishedName { CommonName("bench issuing CA") }
let caCert = try Certificate(
    version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey), notValidBefore: Date() - 3600,
    notValidAfter: Date() + 86400, issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
    extensions: try Certificate.Extensions {
        Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
        Critical(KeyUsage(keyCertSign: true))
    }, issuerPrivateKey: .init(caKey))

func issue(_ key: P256.Signing.PublicKey, _ cn: String, _ san: String, client: Bool) throws -> [UInt8] {
    try Certificate(
        version: .v3, serialNumber: .init(), publicKey: .init(key), notValidBefore: Date() - 3600,
        notValidAfter: Date() + 86400, issuer: caName, subject: try DistinguishedName { CommonName(cn) },
        signatureAlgorithm: .ecdsaWithSHA256,
        extensions: try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            try ExtendedKeyUsage([client ? .clientAuth : .serverAuth])
            SubjectAlternativeNames([.dnsName(san)])
        }, issuerPrivateKey: .init(caKey)
    ).derBytes()
}

extension Certificate {
    func derBytes() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return serializer.serializedBytes
    }
}

struct BenchDevice: Sendable {
    var eid: String
    var context: NIOSSLContext
}

var records = try ZoneFileReader(origin: apex, defaultTTL: 300).read(
    """
    @ 3600 IN SOA ns1 hostmaster 2026112300 3600 900 1209600 300
    @ 3600 IN NS ns1
    ns1 3600 IN A 127.0.0.1
    """)
var devices: [BenchDevice] = []
for i in 0..<deviceCount {
    let key = P256.Signing.PrivateKey()
    let cert = try issue(
        key.publicKey, "11.\(eid(i)).iotregistry.test", "\(eid(i))._device.iotregistry.test", client: true)
    records.append(
        ResourceRecord(
            name: try DNSName("\(eid(i))._device", origin: apex), ttl: 300, rdata: .tlsa(TLSAMatcher.record(for: cert)!)
        ))
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.minimumTLSVersion = .tlsv13
    tls.certificateVerification = .none
    tls.certificateChain = [.certificate(try NIOSSLCertificate(bytes: cert, format: .der))]
    tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem))
    devices.append(BenchDevice(eid: eid(i), context: try NIOSSLContext(configuration: tls)))
}
let zone = try SignedZone(apex: apex, records: records, keys: .generate())

let dotKey = P256.Signing.PrivateKey()
let dotCert = try issue(dotKey.publicKey, "ns1.iotregistry.test", "ns1.iotregistry.test", client: false)
var dnsConfig = DNSServer.Configuration()
dnsConfig.tlsCertificateChainPEM = try pem(dotCert)
dnsConfig.tlsPrivateKeyPEM = dotKey.pemRepresentation
let dns = DNSServer(configuration: dnsConfig, zoneStore: ZoneStore(zone))
let ports = try await dns.start(udpTCP: .init(host: "127.0.0.1", port: 0), dot: .init(host: "127.0.0.1", port: 0))
let pin = Array(SHA256.hash(data: TLSAMatcher.selectedBytes(.subjectPublicKeyInfo, certificateDER: dotCert)!))

let aspKey = P256.Signing.PrivateKey()
let aspCert = try issue(aspKey.publicKey, "parkoserv.iotregistry.test", "parkoserv.iotregistry.test", client: false)

func makeASP(dane: Bool) async throws -> (SampleASPServer, ValidatingResolver, Int) {
    let resolver = ValidatingResolver(
        trustAnchors: [try TrustAnchor(record: zone.dsRecord)],
        transport: DNSOverTLSClient(.init(host: "127.0.0.1", port: ports.tls ?? 0, spkiSHA256Pins: [pin])))
    let server = SampleASPServer(
        .init(
            name: "ParkoServ", certificateChain: [aspCert],
            privateKey: try NIOSSLPrivateKey(bytes: Array(aspKey.pemRepresentation.utf8), format: .pem),
            daneChecks: dane),
        authenticator: DANEClientAuthenticator(zone: apex, resolver: resolver))
    return (server, resolver, try await server.start())
}

// MARK: one handshake

final class HelloHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let eid: String
    let done: EventLoopPromise<Void>
    var buffer = ByteBuffer()
    init(eid: String, done: EventLoopPromise<Void>) {
        self.eid = eid
        self.done = done
    }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HELLO \(eid)\n")), promise: nil)
        }
    }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var b = unwrapInboundIn(data)
        buffer.writeBuffer(&b)
        if buffer.readableBytesView.contains(UInt8(ascii: "\n")) {
            let line = buffer.readString(length: buffer.readableBytes) ?? ""
            if line.hasPrefix("WELCOME") { done.succeed(()) } else { done.fail(ChannelError.badInterfaceAddressFamily) }
            context.close(promise: nil)
        }
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.close(promise: nil)
    }
    func channelInactive(context: ChannelHandlerContext) { done.fail(ChannelError.eof) }
}

func handshake(_ device: BenchDevice, port: Int) async throws {
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let done = loop.makePromise(of: Void.self)
    let channel = try await ClientBootstrap(group: loop)
        .channelInitializer { ch in
            ch.eventLoop.makeCompletedFuture {
                try ch.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: device.context, serverHostname: "parkoserv.iotregistry.test"))
                try ch.pipeline.syncOperations.addHandler(HelloHandler(eid: device.eid, done: done))
            }
        }.connect(host: "127.0.0.1", port: port).get()
    defer { channel.close(promise: nil) }
    try await done.futureResult.get()
}

/// Runs one handshake per device, `concurrency` at a time; returns handshakes per second and failures.
func run(port: Int, devices: [BenchDevice], concurrency: Int) async -> (rate: Double, failures: Int) {
    let start = DispatchTime.now().uptimeNanoseconds
    let failures = await withTaskGroup(of: Bool.self) { group in
        var next = 0
        var failed = 0
        for _ in 0..<min(concurrency, devices.count) {
            let d = devices[next]
            next += 1
            group.addTask { (try? await handshake(d, port: port)) != nil }
        }
        while let ok = await group.next() {
            if !ok { failed += 1 }
            if next < devices.count {
                let d = devices[next]
                next += 1
                group.addTask { (try? await handshake(d, port: port)) != nil }
            }
        }
        return failed
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return (Double(devices.count) / seconds, failures)
}

// MARK: measure

progress("zone signed and served, \(devices.count) client contexts ready; measuring DANE off")
let (offServer, _, offPort) = try await makeASP(dane: false)
_ = await run(port: offPort, devices: devices, concurrency: concurrency)  // warm-up: code paths, allocator
let off = await run(port: offPort, devices: devices, concurrency: concurrency)
await offServer.stop()

progress("DANE off: \(Int(off.rate))/s; measuring DANE on")
let (onServer, resolver, onPort) = try await makeASP(dane: true)
// Open the DoT connection and validate the zone's DNSKEY once: "cold" is about the per-device TLSA.
_ = try await resolver.lookup(apex, .dnskey)
let cold = await run(port: onPort, devices: devices, concurrency: concurrency)
let warm = await run(port: onPort, devices: devices, concurrency: concurrency)
progress("DANE on: cold \(Int(cold.rate))/s, warm \(Int(warm.rate))/s")
let stats = await resolver.statistics
await onServer.stop()

func fmt(_ v: Double) -> String { String(format: "%10.0f", v) }
func row(_ mode: String, _ r: (rate: Double, failures: Int)) {
    let ratio = String(format: "%.2f", r.rate / off.rate)
    print(
        mode.padding(toLength: 25, withPad: " ", startingAt: 0) + fmt(r.rate) + String(format: "   %8d   ", r.failures)
            + ratio)
}
print("bench-dane: \(deviceCount) devices, \(concurrency) concurrent, TLS 1.3 mutual + HELLO/WELCOME, 127.0.0.1")
print("mode                     handshakes/s   failures   vs off")
row("DANE off (baseline)", off)
row("DANE on, cache cold", cold)
row("DANE on, cache warm", warm)
print("resolver: \(stats.misses) cache misses (one DoT TLSA query + validation each), \(stats.hits) hits")
progress("done")
exit(off.failures + cold.failures + warm.failures == 0 ? 0 : 1)
