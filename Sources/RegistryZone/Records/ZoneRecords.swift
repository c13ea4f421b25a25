import Crypto
public import DNSWire
import PKI

/// Turns registry facts into resource records: the one place where a certificate becomes a TLSA or CERT.
public struct ZoneRecords: Sendable {
    public let configuration: ZoneConfiguration

    public init(configuration: ZoneConfiguration) {
        self.configuration = configuration
    }

    var layout: ZoneLayout { configuration.layout }

    /// The records of one device: TLSA 3 1 1 at its identity name and CERT PKIX at its profile name.
    /// - Throws: `RegistryZoneError` when the certificate is not DER or the names do not fit.
    public func records(for identity: PublishedIdentity) throws -> [ResourceRecord] {
        let ttl = configuration.revocationBound
        let spki: [UInt8]
        do {
            spki = try CertificateDER.subjectPublicKeyInfo(identity.certificate)
        } catch {
            throw RegistryZoneError(
                .badCertificate, "the certificate of device \(identity.eid) is not a DER X.509 certificate: \(error)")
        }
        let tlsa = TLSA(
            usage: .daneEE, selector: .subjectPublicKeyInfo, matchingType: .sha256,
            data: Array(SHA256.hash(data: spki)))
        let cert = CERT(
            certificateType: .pkix, keyTag: 0, algorithm: DNSSECAlgorithm(rawValue: 0),
            certificate: identity.certificate)
        do {
            return [
                ResourceRecord(name: try layout.deviceIdentityName(eid: identity.eid), ttl: ttl, rdata: .tlsa(tlsa)),
                ResourceRecord(
                    name: try layout.profileName(rpid: identity.rpid, eid: identity.eid), ttl: ttl, rdata: .cert(cert)),
            ]
        } catch {
            throw RegistryZoneError(
                .badName, "device \(identity.eid) does not fit a DNS name in \(layout.apex): \(error)")
        }
    }

    /// The names a device's records may occupy; what a removal clears (old profiles included).
    public func names(eid: String, rpids: [Int64]) throws -> [DNSName] {
        try [layout.deviceIdentityName(eid: eid)] + rpids.map { try layout.profileName(rpid: $0, eid: eid) }
    }

    /// The apex and CA records: SOA, NS (+ glue), the CA certificates as TLSA 0 0 0 at the apex, and the issuing
    /// CAs as DANE-TA (TLSA 2 0 1) at `_ca._device.Z`.
    /// - Parameters:
    ///   - rootCertificate: the registry root CA, DER.
    ///   - issuingCertificates: the issuing CAs that sign device certificates, DER.
    public func apexRecords(serial: UInt32, rootCertificate: [UInt8], issuingCertificates: [[UInt8]])
        -> [ResourceRecord]
    {
        let ttl = configuration.apexTTL
        var records = [configuration.soa(serial: serial)]
        for server in configuration.nameServers {
            records.append(ResourceRecord(name: layout.apex, ttl: ttl, rdata: .ns(NS(host: server.name))))
            guard server.name.isSubdomain(of: layout.apex) else { continue }
            records += server.ipv4.map { ResourceRecord(name: server.name, ttl: ttl, rdata: .a($0)) }
            records += server.ipv6.map { ResourceRecord(name: server.name, ttl: ttl, rdata: .aaaa($0)) }
        }
        for der in [rootCertificate] + issuingCertificates {
            let tlsa = TLSA(usage: .pkixTA, selector: .fullCertificate, matchingType: .full, data: der)
            records.append(ResourceRecord(name: layout.apex, ttl: ttl, rdata: .tlsa(tlsa)))
        }
        for der in issuingCertificates {
            let tlsa = TLSA(
                usage: .daneTA, selector: .fullCertificate, matchingType: .sha256, data: Array(SHA256.hash(data: der)))
            records.append(ResourceRecord(name: layout.deviceTrustAnchorName, ttl: ttl, rdata: .tlsa(tlsa)))
        }
        return records
    }

    /// The TLSA 3 1 1 of an ASP service whose host is inside the zone; empty otherwise.
    public func records(for service: PublishedService) throws -> [ResourceRecord] {
        guard let name = try layout.serviceName(fqdn: service.fqdn, port: service.port) else { return [] }
        let spki: [UInt8]
        do {
            spki = try CertificateDER.subjectPublicKeyInfo(service.certificate)
        } catch {
            throw RegistryZoneError(
                .badCertificate, "the server certificate of \(service.fqdn) is not a DER X.509 certificate: \(error)")
        }
        let tlsa = TLSA(
            usage: .daneEE, selector: .subjectPublicKeyInfo, matchingType: .sha256,
            data: Array(SHA256.hash(data: spki)))
        return [ResourceRecord(name: name, ttl: configuration.revocationBound, rdata: .tlsa(tlsa))]
    }
}
