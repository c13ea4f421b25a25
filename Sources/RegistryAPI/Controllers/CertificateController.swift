import Foundation
import Hummingbird
import NIOCore
import NIOSSL
import PKI
import RegistryCore

/// The certificate authority's doors: device CSRs, certificates, CA discovery, CRL, OCSP and EST (RFC 7030).
///
/// Media types: PEM answers are `application/pem-certificate-chain` (RFC 8555 §9.1) for device certificates and
/// `application/x-pem-file` for CA certificates; CRLs `application/pkix-crl` (RFC 5280 §4.2.1.13 wants DER); OCSP
/// `application/ocsp-response` (RFC 6960 Appendix A); EST `application/pkcs7-mime` in base64 (RFC 7030 §4.1.3,
/// §4.2.3). Refusals are problem+json like everywhere else, and a refused request stores nothing.
struct CertificateController {
    let registry: Registry

    /// The largest CSR body accepted (PEM or base64); a P-256 CSR is about 500 bytes, RSA-4096 about 2 KiB.
    static let csrLimit = 32 * 1024

    func register(on router: Router<RegistryRequestContext>) {
        router.post("/v1/devices/:eid/csr") { request, context in
            let body = try await request.bodyBytes(limit: Self.csrLimit)
            let record = try await registry.submitCSR(
                try context.parameters.require("eid"), csr: Array(body), by: context.principal)
            return Self.pem(try registry.chainPEM(record), status: .created, type: "application/pem-certificate-chain")
        }
        router.get("/v1/devices/:eid/certificate") { _, context in
            let record = try await registry.deviceCertificate(try context.parameters.require("eid"), by: context.principal)
            return Self.pem(try registry.chainPEM(record), type: "application/pem-certificate-chain")
        }
        router.get("/.well-known/ca/:file") { _, context in
            let keyID = try Self.keyIdentifier(try context.parameters.require("file"), suffix: ".pem")
            return Self.pem(try registry.caCertificatePEM(keyIdentifier: keyID), type: "application/x-pem-file")
        }
        router.get("/crl/:file") { _, context in
            let keyID = try Self.keyIdentifier(try context.parameters.require("file"), suffix: ".crl")
            let crl = try await registry.certificateRevocationList(keyIdentifier: keyID)
            return Response(
                status: .ok, headers: [.contentType: "application/pkix-crl", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: crl.derBytes)))
        }
        router.post("/ocsp") { request, _ in
            // RFC 6960 Appendix A.1: a DER OCSPRequest (application/ocsp-request); whatever is not one gets the
            // protocol's own refusal, an OCSPResponse with status malformedRequest.
            let body = try await request.bodyBytes(limit: 8 * 1024)
            let answer = try await registry.ocspResponse(to: Array(body))
            return Response(
                status: .ok, headers: [.contentType: "application/ocsp-response", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }

        // EST, RFC 7030 §3.2.2: /.well-known/est/<operation>
        router.get("/.well-known/est/cacerts") { _, _ in
            Self.est(try registry.estCACertificates())
        }
        router.post("/.well-known/est/simpleenroll") { request, context in
            let body = try await request.bodyBytes(limit: Self.csrLimit)
            let record = try await registry.estEnroll(
                eid: request.uri.queryParameters.get("eid"), body: Array(body), by: context.principal)
            return Self.est(try registry.estCertificateResponse(record))
        }
        router.post("/.well-known/est/simplereenroll") { request, context in
            let body = try await request.bodyBytes(limit: Self.csrLimit)
            let proof: EnrolmentProof
            if context.principal == .anonymous, let clientCertificate = try await Self.peerCertificate(context) {
                proof = .clientCertificate(clientCertificate)
            } else {
                proof = .principal(context.principal)
            }
            let record = try await registry.estReenroll(
                eid: request.uri.queryParameters.get("eid"), body: Array(body), proof: proof)
            return Self.est(try registry.estCertificateResponse(record))
        }
    }

    /// The TLS client certificate of the connection (DER), when the request came over the EST TLS listener.
    static func peerCertificate(_ context: RegistryRequestContext) async throws -> [UInt8]? {
        guard let channel = context.channel else { return nil }
        guard let certificate = try? await channel.nioSSL_peerCertificate().get() else { return nil }
        return try certificate.toDERBytes()
    }

    /// `0a1b….pem` or `0a-1b-….pem` → the key identifier text (validated by the core).
    static func keyIdentifier(_ file: String, suffix: String) throws -> String {
        guard file.hasSuffix(suffix), file.count > suffix.count else {
            throw RegistryError.notFound(
                "no such file '\(file)'; CA files are named <AKI as lowercase hex>\(suffix)")
        }
        return String(file.dropLast(suffix.count))
    }

    static func pem(_ text: String, status: HTTPResponse.Status = .ok, type: String) -> Response {
        Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// An EST certs-only answer: base64 PKCS#7 with the RFC 7030 §4.1.3 headers.
    static func est(_ base64: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/pkcs7-mime; smime-type=certs-only"]
        if let field = HTTPFields.Element.Name("Content-Transfer-Encoding") { headers[field] = "base64" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: base64)))
    }
}
