import Crypto
import DNSWire
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PKI
import SwiftASN1
import X509

/// One request as the stand-in EST server received it.
struct ESTRequestSeen: Sendable {
    /// The TLS client certificate (DER) the device authenticated with.
    var clientCertificate: [UInt8]?
    var method: HTTPMethod
    var uri: String
    var contentType: String?
    var body: [UInt8]

    /// The PKCS#10 the body carries: base64 DER, `Content-Transfer-Encoding: base64` (RFC 7030 §4.2.1).
    var csr: CertificateSigningRequest? {
        let text = String(decoding: body.filter { $0 > 0x20 }, as: UTF8.self)
        guard let der = Data(base64Encoded: text) else { return nil }
        return try? CertificateSigningRequest(derEncoded: Array(der))
    }
}

/// What the stand-in answers.
struct ESTAnswer: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]

    /// RFC 7030 §4.2.3: base64 certs-only PKCS#7.
    static func certsOnly(_ certificates: [Certificate]) throws -> ESTAnswer {
        ESTAnswer(
            status: .ok, contentType: "application/pkcs7-mime; smime-type=certs-only",
            body: Array(try CertsOnlyPKCS7.estBase64(certificates).utf8))
    }

    /// RFC 9457 problem details, as the registry's API refuses.
    static func problem(_ status: HTTPResponseStatus, detail: String) -> ESTAnswer {
        let object: [String: Any] = [
            "type": "about:blank", "title": status.reasonPhrase, "status": Int(status.code), "detail": detail,
        ]
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return ESTAnswer(status: status, contentType: "application/problem+json", body: Array(body))
    }
}

/// A stand-in EST server (RFC 7030) for the device's renewal: TLS 1.3 with NIOSSL on 127.0.0.1 (free port), a
/// client certificate required (and recorded, never verified: the tests look at it), HTTP/1.1 with NIOHTTP1, one
/// answer per request from `answer`.
final class StandInESTServer: Sendable {
    let port: Int
    private let listener: NIOAsyncChannel<Connection, Never>
    private let seen: NIOLockedValueBox<[ESTRequestSeen]>
    private let task: Task<Void, Never>

    private struct Connection: Sendable {
        let channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
        let peer: NIOLockedValueBox<[UInt8]?>
    }

    /// - Parameters:
    ///   - certificateChain: the server's chain (DER, leaf first).
    ///   - key: the leaf's private key.
    ///   - acceptClientCertificate: false refuses every client certificate in the handshake.
    ///   - answer: what to answer to each request.
    init(
        certificateChain: [[UInt8]], key: P256.Signing.PrivateKey, acceptClientCertificate: Bool = true,
        answer: @escaping @Sendable (ESTRequestSeen) async -> ESTAnswer
    ) async throws {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try certificateChain.map { .certificate(try NIOSSLCertificate(bytes: $0, format: .der)) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)))
        tls.certificateVerification = .noHostnameVerification  // request and require a client certificate
        tls.trustRoots = .certificates([])
        let context = try NIOSSLContext(configuration: tls)
        listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let peer = NIOLockedValueBox<[UInt8]?>(nil)
                    let handler = NIOSSLServerHandler(
                        context: context,
                        customVerificationCallback: { certificates, verdict in
                            peer.withLockedValue { $0 = try? certificates.first?.toDERBytes() }
                            verdict.succeed(acceptClientCertificate ? .certificateVerified : .failed)
                        })
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return Connection(
                        channel: try NIOAsyncChannel(wrappingChannelSynchronously: channel), peer: peer)
                }
            }
        port = listener.channel.localAddress?.port ?? 0
        let seen = NIOLockedValueBox<[ESTRequestSeen]>([])
        self.seen = seen
        let listener = self.listener
        task = Task {
            try? await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await Self.serve(connection, seen: seen, answer: answer) }
                    }
                }
            }
        }
    }

    /// The EST base URL on 127.0.0.1 (or another host name that resolves to it).
    func url(host: String = "127.0.0.1") -> String { "https://\(host):\(port)/.well-known/est" }

    /// Every request received so far.
    var requests: [ESTRequestSeen] { seen.withLockedValue { $0 } }

    func stop() async {
        try? await listener.channel.close()
        _ = await task.value
    }

    private static func serve(
        _ connection: Connection, seen: NIOLockedValueBox<[ESTRequestSeen]>,
        answer: @Sendable (ESTRequestSeen) async -> ESTAnswer
    ) async {
        // Errors are expected: several tests are about a client that aborts the handshake.
        try? await connection.channel.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body = []
                case .body(let buffer):
                    body += buffer.readableBytesView
                case .end:
                    guard let head else { continue }
                    let request = ESTRequestSeen(
                        clientCertificate: connection.peer.withLockedValue { $0 }, method: head.method,
                        uri: head.uri, contentType: head.headers.first(name: "Content-Type"), body: body)
                    seen.withLockedValue { $0.append(request) }
                    let reply = await answer(request)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: reply.contentType)
                    if reply.status == .ok { headers.add(name: "Content-Transfer-Encoding", value: "base64") }
                    headers.add(name: "Content-Length", value: String(reply.body.count))
                    headers.add(name: "Connection", value: "close")
                    try await outbound.write(
                        .head(HTTPResponseHead(version: .http1_1, status: reply.status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: reply.body))))
                    try await outbound.write(.end(nil))
                // Keep reading until the client closes, so the answer is flushed before we close.
                }
            }
        }
    }
}

/// A certificate issuer for the tests: the fixtures' ``TestCA`` (a root with path length 0), or a root and
/// intermediate made here.
struct Issuer: Sendable {
    let key: P256.Signing.PrivateKey
    let name: DistinguishedName
    let certificate: Certificate

    var der: [UInt8] { (try? certificate.derBytes()) ?? [] }

    /// A self-signed root that may have one intermediate below it.
    static func root(_ commonName: String) throws -> Issuer {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date() - 3600,
            notValidAfter: Date() + 86400, issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 1))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            }, issuerPrivateKey: .init(key))
        return Issuer(key: key, name: name, certificate: certificate)
    }

    /// An issuing CA below this one.
    func intermediate(_ commonName: String) throws -> Issuer {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(commonName) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date() - 3600,
            notValidAfter: Date() + 86400, issuer: name, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            }, issuerPrivateKey: .init(self.key))
        return Issuer(key: key, name: subject, certificate: certificate)
    }

    /// A certificate from this issuer with any SANs, validity and EKU (the fixtures' `issue` covers dNSNames only).
    func certificate(
        for publicKey: Certificate.PublicKey, commonName: String, sans: [GeneralName], clientAuth: Bool,
        notValidBefore: Date = Date() - 3600, notValidAfter: Date = Date() + 86400
    ) throws -> Certificate {
        try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey, notValidBefore: notValidBefore,
            notValidAfter: notValidAfter, issuer: name, subject: try DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([clientAuth ? .clientAuth : .serverAuth])
                SubjectAlternativeNames(sans)
            }, issuerPrivateKey: .init(key))
    }

    /// An EST server certificate naming `sans`.
    func estServer(key: P256.Signing.PrivateKey, sans: [GeneralName]) throws -> [UInt8] {
        try certificate(for: .init(key.publicKey), commonName: "est.iotregistry.test", sans: sans, clientAuth: false)
            .derBytes()
    }

    /// A device certificate in the registry's profile for `publicKey`, with the given validity.
    func device(
        eid: String, publicKey: Certificate.PublicKey, notValidBefore: Date = Date() - 3600,
        notValidAfter: Date = Date() + 86400
    ) throws -> Certificate {
        try certificate(
            for: publicKey, commonName: "11.\(eid).iotregistry.test",
            sans: [.dnsName("\(eid)._device.iotregistry.test")], clientAuth: true, notValidBefore: notValidBefore,
            notValidAfter: notValidAfter)
    }
}

extension TestCA {
    var issuer: Issuer { Issuer(key: key, name: name, certificate: certificate) }
}

extension GeneralName {
    static let loopbackIP = GeneralName.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))
}
