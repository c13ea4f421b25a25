import Crypto
import DANE
import DNSWire
import Foundation
import Testing
import X509

@Suite struct TLSAMatcherTests {
    let ca: TestCA
    let leafKey = P256.Signing.PrivateKey()
    let leaf: [UInt8]

    init() throws {
        ca = try TestCA()
        leaf = try ca.issue(publicKey: leafKey.publicKey, commonName: "h", dnsNames: ["h.test"], clientAuth: false)
    }

    func record(_ u: UInt8, _ s: UInt8, _ m: UInt8, of der: [UInt8]) -> TLSA {
        TLSAMatcher.record(
            for: der, usage: .init(rawValue: u), selector: .init(rawValue: s), matchingType: .init(rawValue: m))!
    }

    @Test(arguments: [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)] as [(UInt8, UInt8)])
    func daneEEMatchesLeafForEverySelectorAndMatchingType(selector: UInt8, matching: UInt8) {
        let r = record(3, selector, matching, of: leaf)
        #expect(TLSAMatcher.match(chain: [leaf], records: [r]) == .matched(record: r, certificateIndex: 0))
    }

    @Test func daneEESHA256OfSPKIIsWhatOpenSSLComputes() throws {
        // `openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256` = TLSA 3 1 1
        // (peer-tools.md); the SPKI of a P-256 key is the 91-byte DER swift-crypto writes.
        let r = record(3, 1, 1, of: leaf)
        #expect(r.data == Array(SHA256.hash(data: leafKey.publicKey.derRepresentation)))
    }

    @Test func daneEEWithAnotherKeyIsNoMatch() throws {
        let other = try ca.issue(
            publicKey: P256.Signing.PrivateKey().publicKey, commonName: "h", dnsNames: ["h.test"], clientAuth: false)
        let result = TLSAMatcher.match(chain: [leaf], records: [record(3, 1, 1, of: other)])
        guard case .noMatch = result else { Issue.record("expected noMatch, got \(result)"); return }
    }

    @Test func daneEEIgnoresExpiry() throws {
        let expired = try ca.issue(
            publicKey: leafKey.publicKey, commonName: "h", dnsNames: ["h.test"], clientAuth: false,
            notValidAfter: Date() - 60)
        #expect(TLSAMatcher.match(chain: [expired], records: [record(3, 1, 1, of: expired)]).isMatch)
    }

    @Test func pkixUsagesAreUnusable() {
        let result = TLSAMatcher.match(
            chain: [leaf], records: [record(0, 0, 1, of: ca.der), record(1, 1, 1, of: leaf)])
        guard case .unusable = result else { Issue.record("expected unusable, got \(result)"); return }
    }

    @Test func unknownSelectorOrMatchingTypeIsUnusable() {
        let badSelector = TLSA(usage: .daneEE, selector: .init(rawValue: 7), matchingType: .sha256, data: [1])
        let badMatching = TLSA(
            usage: .daneEE, selector: .subjectPublicKeyInfo, matchingType: .init(rawValue: 9), data: [1])
        guard case .unusable = TLSAMatcher.match(chain: [leaf], records: [badSelector, badMatching]) else {
            Issue.record("expected unusable")
            return
        }
        guard case .unusable = TLSAMatcher.match(chain: [leaf], records: []) else {
            Issue.record("an empty RRset is unusable")
            return
        }
    }

    @Test func daneTAMatchesAPresentedIssuerThatSignedTheLeaf() {
        let ta = record(2, 0, 1, of: ca.der)
        #expect(TLSAMatcher.match(chain: [leaf, ca.der], records: [ta]) == .matched(record: ta, certificateIndex: 1))
        let spki = record(2, 1, 1, of: ca.der)
        #expect(TLSAMatcher.match(chain: [leaf, ca.der], records: [spki]).isMatch)
    }

    @Test func daneTANeedsTheIssuerInTheChain() {
        let result = TLSAMatcher.match(chain: [leaf], records: [record(2, 0, 1, of: ca.der)])
        guard case .noMatch = result else { Issue.record("expected noMatch, got \(result)"); return }
    }

    @Test func daneTARefusesALeafNotSignedByTheAnchor() throws {
        // Same issuer name, different key: the name chains, the signature does not.
        let impostor = try TestCA()
        let forged = try impostor.issue(
            publicKey: leafKey.publicKey, commonName: "h", dnsNames: ["h.test"], clientAuth: false)
        let result = TLSAMatcher.match(chain: [forged, ca.der], records: [record(2, 0, 1, of: ca.der)])
        guard case .noMatch(let reason) = result else { Issue.record("expected noMatch, got \(result)"); return }
        #expect(reason.contains("signature"))
    }

    @Test func daneTAChecksTheLeafsDates() throws {
        let expired = try ca.issue(
            publicKey: leafKey.publicKey, commonName: "h", dnsNames: ["h.test"], clientAuth: false,
            notValidAfter: Date() - 60)
        #expect(!TLSAMatcher.match(chain: [expired, ca.der], records: [record(2, 0, 1, of: ca.der)]).isMatch)
    }

    @Test func daneTARefusesANonCAIssuer() throws {
        // The "issuer" is an end-entity certificate whose key signed the leaf: not a CA, refused.
        let eeKey = P256.Signing.PrivateKey()
        let eeName = try DistinguishedName { CommonName("not a CA") }
        let ee = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(eeKey.publicKey), notValidBefore: Date() - 60,
            notValidAfter: Date() + 3600, issuer: eeName, subject: eeName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.notCertificateAuthority) },
            issuerPrivateKey: .init(eeKey))
        let child = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(leafKey.publicKey), notValidBefore: Date() - 60,
            notValidAfter: Date() + 3600, issuer: eeName, subject: try DistinguishedName { CommonName("h") },
            signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions {}, issuerPrivateKey: .init(eeKey))
        let eeDER = try ee.derBytes()
        let result = TLSAMatcher.match(chain: [try child.derBytes(), eeDER], records: [record(2, 0, 1, of: eeDER)])
        guard case .noMatch(let reason) = result else { Issue.record("expected noMatch, got \(result)"); return }
        #expect(reason.contains("not a CA"))
    }

    @Test func mutatedCertificatesNeverTrap() {
        // Deterministic xorshift mutations of a real chain: the matcher must answer, never trap.
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            return x
        }
        let records = [record(3, 1, 1, of: leaf), record(2, 0, 1, of: ca.der), record(2, 1, 2, of: ca.der)]
        for _ in 0..<300 {
            var a = leaf
            var b = ca.der
            for _ in 0..<(1 + Int(next() % 4)) {
                a[Int(next() % UInt64(a.count))] ^= UInt8(truncatingIfNeeded: next() | 1)
                b[Int(next() % UInt64(b.count))] ^= UInt8(truncatingIfNeeded: next() | 1)
            }
            let cut = Array(a.prefix(Int(next() % UInt64(a.count))))
            _ = TLSAMatcher.match(chain: [a, b], records: records)
            _ = TLSAMatcher.match(chain: [cut, b, []], records: records)
        }
    }
}
