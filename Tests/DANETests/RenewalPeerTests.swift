import Crypto
import DeviceAgent
import DeviceKit
import Foundation
import NIOCore
import PeerTesting
import SwiftASN1
import Testing
import X509

/// A real peer as the EST server: Python's `ssl` (OpenSSL) requires and verifies the device's client certificate
/// against the registry CA, pyca/cryptography checks the CSR's signature and issues the new certificate, and answers
/// a certs-only PKCS#7 that it serialized itself (peer-tools.md: python3 with cryptography).
@Suite struct RenewalPeerTests {
    /// One request, then the server exits (or after 30 s without one).
    static let server = #"""
        import base64, datetime, http.server, ssl, sys
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.serialization import pkcs7
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        d, eid = sys.argv[1], sys.argv[2]
        ca_cert = x509.load_pem_x509_certificate(open(f"{d}/ca.pem", "rb").read())
        ca_key = serialization.load_pem_private_key(open(f"{d}/ca.key", "rb").read(), None)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                csr = x509.load_der_x509_csr(base64.b64decode(body))
                open(f"{d}/client.der", "wb").write(self.connection.getpeercert(binary_form=True))
                with open(f"{d}/seen.txt", "w") as f:
                    f.write(f"{self.path}\n{self.headers.get('Content-Type')}\n{csr.is_signature_valid}\n")
                now = datetime.datetime.now(datetime.timezone.utc)
                cert = (x509.CertificateBuilder()
                    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"11.{eid}.iotregistry.test")]))
                    .issuer_name(ca_cert.subject).public_key(csr.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(now - datetime.timedelta(hours=1))
                    .not_valid_after(now + datetime.timedelta(days=1))
                    .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                    .add_extension(x509.SubjectAlternativeName(
                        [x509.DNSName(f"{eid}._device.iotregistry.test")]), critical=False)
                    .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                    .sign(ca_key, hashes.SHA256()))
                out = base64.encodebytes(pkcs7.serialize_certificates([cert], serialization.Encoding.DER))
                self.send_response(200)
                self.send_header("Content-Type", "application/pkcs7-mime; smime-type=certs-only")
                self.send_header("Content-Transfer-Encoding", "base64")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(f"{d}/server.pem", f"{d}/server.key")
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(f"{d}/ca.pem")
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srv.timeout = 30
        print(srv.server_address[1], flush=True)
        srv.handle_request()
        """#

    @Test(.enabled(if: PeerTool.isAvailable("python3", pythonModules: ["cryptography"])))
    func renewalAgainstPythonSSLAndCryptography() async throws {
        let scene = try await Scene()
        defer { Task { await scene.stop() } }
        let device = scene.devices[0]
        let dir = try PeerTool.temporaryDirectory("est-peer")
        defer { try? FileManager.default.removeItem(at: dir) }
        let serverKey = P256.Signing.PrivateKey()
        let serverCertificate = try scene.ca.issuer.estServer(key: serverKey, sans: [.loopbackIP])
        for (file, text) in [
            ("ca.pem", Fixture.pem(scene.ca.der)), ("ca.key", scene.ca.key.pemRepresentation),
            ("server.pem", Fixture.pem(serverCertificate)), ("server.key", serverKey.pemRepresentation),
            ("est.py", Self.server),
        ] {
            try text.write(to: dir.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        let process = try PeerProcess(
            executable: try #require(PeerTool.path(of: "python3")),
            arguments: [dir.appendingPathComponent("est.py").path, dir.path, device.eid], standardOutput: .pipe)
        // The first line is the port it bound.
        let portLine = await process.firstLine()
        let port = try #require(Int(portLine.trimmingCharacters(in: .whitespacesAndNewlines)))

        let agent = try DeviceAgent(
            aspFQDN: Fixture.aspFQDN, aspPort: scene.port, connectHost: "127.0.0.1", certificateChain: device.chain,
            identity: "\(device.eid)._device.iotregistry.test", iotSafe: device.client,
            resolver: scene.zone.resolver(), registryRoot: scene.ca.der,
            estURL: "https://127.0.0.1:\(port)/.well-known/est", timeout: .seconds(10))
        let renewed = try await agent.renew(publicationTimeout: .zero)

        #expect(await eventually { !process.isRunning })
        #expect(process.terminationStatus == 0)
        let newKey = Certificate.PublicKey(try device.client.signingPublicKey(IoTSafePersonalisation.spareKeyID))
        #expect(renewed.keyID == IoTSafePersonalisation.spareKeyID)
        #expect(try Certificate(derEncoded: renewed.certificateChain[0]).publicKey == newKey)
        let seen = try String(contentsOf: dir.appendingPathComponent("seen.txt"), encoding: .utf8)
        #expect(seen == "/.well-known/est/simplereenroll\napplication/pkcs10\nTrue\n")
        let client = try Data(contentsOf: dir.appendingPathComponent("client.der"))
        #expect(Array(client) == device.certificate)
    }
}
