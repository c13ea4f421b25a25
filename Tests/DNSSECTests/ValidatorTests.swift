import DNSSEC
import DNSWire
import Foundation
import PeerTesting
import Testing

@Suite struct ValidatorTests {
    static let signed: (SignedZone, DNSSECValidator) = {
        let zone = try! SignedZone(
            apex: TestZone.apex, records: TestZone.records(devices: 40), keys: .generate(), now: TestZone.now)
        let anchor = try! TrustAnchor(record: zone.dsRecord)
        return (zone, DNSSECValidator(trustAnchors: [anchor]))
    }()
    static var zone: SignedZone { signed.0 }
    static var validator: DNSSECValidator { signed.1 }
    static var keys: SignedRRSet { zone.rrset(TestZone.apex, .dnskey)! }
    static let now = TestZone.now

    @Test func existingDeviceTLSAIsSecure() throws {
        let name = TestZone.deviceRecords(3)[0].name
        let answer = try #require(Self.zone.rrset(name, .tlsa))
        #expect(Self.validator.validate(answer, keys: Self.keys, now: Self.now) == .secure)
        let cert = try #require(Self.zone.rrset(TestZone.deviceRecords(3)[1].name, .cert))
        #expect(Self.validator.validate(cert, keys: Self.keys, now: Self.now) == .secure)
    }

    @Test func dnskeyAnchorWorksToo() throws {
        let v = DNSSECValidator(trustAnchors: [
            TrustAnchor(zone: TestZone.apex, kind: .dnskey(Self.zone.keys.keySigningKey.dnskey))
        ])
        #expect(v.validateKeys(Self.keys, now: Self.now) == .secure)
        let parsed = try TrustAnchor.parse(Self.zone.dsRecord.description)
        #expect(DNSSECValidator(trustAnchors: parsed).validateKeys(Self.keys, now: Self.now) == .secure)
    }

    // MARK: - Negative cases, named after their defect

    @Test func tamperedRRSetIsBogus() throws {
        var answer = try #require(Self.zone.rrset(TestZone.deviceRecords(3)[0].name, .tlsa))
        answer.rrset.rdatas = [
            .tlsa(
                TLSA(
                    usage: .daneEE, selector: .subjectPublicKeyInfo, matchingType: .sha256,
                    data: [UInt8](repeating: 0, count: 32)))
        ]
        guard case .bogus = Self.validator.validate(answer, keys: Self.keys, now: Self.now) else {
            Issue.record("tampered data validated")
            return
        }
    }

    @Test func wrongTrustAnchorIsBogus() throws {
        let other = DNSSECKey(role: .keySigning)
        let v = DNSSECValidator(trustAnchors: [
            TrustAnchor(zone: TestZone.apex, kind: .ds(other.ds(owner: TestZone.apex)))
        ])
        let answer = try #require(Self.zone.rrset(TestZone.deviceRecords(3)[0].name, .tlsa))
        guard case .bogus(let reason) = v.validate(answer, keys: Self.keys, now: Self.now) else {
            Issue.record("wrong anchor validated")
            return
        }
        #expect(reason.contains("trust anchor"))
    }

    @Test func expiredSignatureIsBogus() throws {
        let answer = try #require(Self.zone.rrset(TestZone.deviceRecords(3)[0].name, .tlsa))
        let later = Self.now.addingTimeInterval(30 * 86400)
        #expect(Self.validator.validate(answer, keys: Self.keys, now: later) != .secure)
        let earlier = Self.now.addingTimeInterval(-2 * 3600)
        #expect(Self.validator.validate(answer, keys: Self.keys, now: earlier) != .secure)
    }

    @Test func zoneWithoutAnchorIsInsecure() throws {
        let answer = try #require(Self.zone.rrset(TestZone.deviceRecords(3)[0].name, .tlsa))
        let v = DNSSECValidator(trustAnchors: [
            TrustAnchor(
                zone: try DNSName("other.test."), kind: .ds(Self.zone.keys.keySigningKey.ds(owner: TestZone.apex)))
        ])
        #expect(v.validate(answer, keys: Self.keys, now: Self.now) == .insecure)
    }

    // MARK: - Denial of existence

    static func proof(for qname: DNSName) -> [SignedRRSet] {
        let cover = zone.nsec(covering: qname)!
        guard case .nsec(let n) = cover.rrset.rdatas[0] else { return [cover] }
        var encloser = qname
        while !(cover.rrset.name.isSubdomain(of: encloser) || n.nextName.isSubdomain(of: encloser)),
            let p = encloser.parent
        {
            encloser = p
        }
        let wildcard = try! encloser.prepending(label: Array("*".utf8))
        return [cover, zone.nsec(covering: wildcard)!]
    }

    @Test func unknownDeviceIsProvenAbsent() throws {
        let qname = try DNSName("99999.\(TestZone.eid(99_999)).iotregistry.test.")
        #expect(Self.zone.rrset(qname, .cert) == nil)
        let verdict = Self.validator.validateNameError(
            qname: qname, proof: Self.proof(for: qname), keys: Self.keys, now: Self.now)
        #expect(verdict == .secure)
    }

    @Test func nxdomainWithoutWildcardProofIsBogus() throws {
        let qname = try DNSName("99999.\(TestZone.eid(99_999)).iotregistry.test.")
        let onlyCover = [Self.zone.nsec(covering: qname)!]
        #expect(
            Self.validator.validateNameError(qname: qname, proof: onlyCover, keys: Self.keys, now: Self.now) != .secure)
    }

    @Test func nxdomainClaimForExistingNameIsBogus() throws {
        let existing = TestZone.deviceRecords(4)[1].name
        let proof = [Self.zone.nsec(covering: existing)!]
        #expect(
            Self.validator.validateNameError(qname: existing, proof: proof, keys: Self.keys, now: Self.now) != .secure)
    }

    @Test func noDataAndEmptyNonTerminal() throws {
        let device = TestZone.deviceRecords(3)[0].name
        let here = [Self.zone.nsec(covering: device)!]
        #expect(
            Self.validator.validateNoData(qname: device, type: .a, proof: here, keys: Self.keys, now: Self.now)
                == .secure)
        #expect(
            Self.validator.validateNoData(qname: device, type: .tlsa, proof: here, keys: Self.keys, now: Self.now)
                != .secure)
        // <eid>.iotregistry.test. only has a child (the CERT name): an empty non-terminal.
        let ent = try DNSName("\(TestZone.eid(3)).iotregistry.test.")
        let cover = [Self.zone.nsec(covering: ent)!]
        #expect(
            Self.validator.validateNoData(qname: ent, type: .a, proof: cover, keys: Self.keys, now: Self.now) == .secure
        )
    }

    @Test func wildcardExpansionNeedsAProof() throws {
        // A resolver asking for an unlisted device's TLSA gets the DANE-TA wildcard, expanded to the qname.
        let wild = try #require(Self.zone.rrset(try DNSName("*._device.iotregistry.test."), .tlsa))
        let qname = try DNSName("\(TestZone.eid(77_777))._device.iotregistry.test.")
        var expanded = wild
        expanded.rrset.name = qname
        let proof = [Self.zone.nsec(covering: qname)!]
        #expect(
            Self.validator.validate(expanded, keys: Self.keys, qname: qname, wildcardProof: proof, now: Self.now)
                == .secure)
        #expect(Self.validator.validate(expanded, keys: Self.keys, qname: qname, now: Self.now) != .secure)
    }

    @Test func revokedDeviceBecomesProvablyAbsent() throws {
        var zone = Self.zone
        let device = TestZone.deviceRecords(9)
        _ = try zone.apply(ZoneChange(removedNames: device.map(\.name)), now: Self.now)
        let keys = try #require(zone.rrset(TestZone.apex, .dnskey))
        let cover = zone.nsec(covering: device[0].name)!
        guard case .nsec(let n) = cover.rrset.rdatas[0] else { return }
        let wildcard = try DNSName("*._device.iotregistry.test.")
        // Under _device the wildcard exists, so the name answers with the DANE-TA wildcard instead of NXDOMAIN,
        // and the NSEC proves the exact name gone.
        #expect(DNSName.canonicalCompare(cover.rrset.name, device[0].name) < 0)
        #expect(DNSName.canonicalCompare(device[0].name, n.nextName) < 0 || n.nextName == TestZone.apex)
        #expect(zone.rrset(wildcard, .tlsa) != nil)
        // The CERT name has no wildcard: a full NXDOMAIN proof.
        let proof = Self.proofIn(zone, for: device[1].name)
        #expect(
            Self.validator.validateNameError(qname: device[1].name, proof: proof, keys: keys, now: Self.now) == .secure)
    }

    static func proofIn(_ zone: SignedZone, for qname: DNSName) -> [SignedRRSet] {
        let cover = zone.nsec(covering: qname)!
        guard case .nsec(let n) = cover.rrset.rdatas[0] else { return [cover] }
        var encloser = qname
        while !(cover.rrset.name.isSubdomain(of: encloser) || n.nextName.isSubdomain(of: encloser)),
            let p = encloser.parent
        {
            encloser = p
        }
        return [cover, zone.nsec(covering: try! encloser.prepending(label: Array("*".utf8)))!]
    }

    /// RFC 6605 §6.1: the published RRSIG over www.example.net. A validates with the published key.
    @Test func rfc6605ExampleSignatureValidates() throws {
        let records = try ZoneFileReader().read(
            """
            example.net. 3600 IN DNSKEY 257 3 13 ( GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb
                krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA== )
            www.example.net. 3600 IN A 192.0.2.1
            www.example.net. 3600 IN RRSIG A 13 3 3600 ( 20100909100439 20100812100439 55648 example.net.
                qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw== )
            """)
        let sets = SignedRRSet.group(records)
        let keys = try #require(sets.first { $0.rrset.type == .dnskey })
        let a = try #require(sets.first { $0.rrset.type == .a })
        let anchor = TrustAnchor(
            zone: try DNSName("example.net."),
            kind: .dnskey(
                keys.rrset.rdatas.compactMap {
                    if case .dnskey(let k) = $0 { k } else { nil }
                }[0]))
        // The key set itself is unsigned in the RFC; check the A RRSIG directly with the anchored key.
        var selfSigned = keys
        selfSigned.signatures = []
        let v = DNSSECValidator(trustAnchors: [anchor])
        let when = Date(timeIntervalSince1970: 1_282_000_000)  // 2010-08-16, inside the window
        #expect(v.validateKeys(selfSigned, now: when) != .secure)  // unsigned key set is not accepted
        let key = DNSSECKey.ds(for: anchor.dnskeyValue!, owner: anchor.zone)
        #expect(key.keyTag == 55648)
        #expect(DNSSECValidator.verifySignature(a.rrset, a.signatures[0], key: anchor.dnskeyValue!, now: when) == nil)
    }
}

extension TrustAnchor {
    var dnskeyValue: DNSKEY? { if case .dnskey(let k) = kind { k } else { nil } }
}
