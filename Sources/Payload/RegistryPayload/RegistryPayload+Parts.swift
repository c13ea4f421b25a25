import Foundation

// device = { 1: tstr eid, 2: uint rpid, 3: tstr dns-name, 4: bstr certificate, 5: bstr issuing-ca }
// asp-endpoint = { 1: tstr fqdn, 2: uint port, 3: tstr url, 4: tstr protocol, ? 5: bstr certificate, ? 6: tlsa-ref }
// tlsa-ref = { 1: tstr owner, 2: uint usage, 3: uint selector, 4: uint matching-type, 5: bstr data }
// dns-resolver = { 1: tstr address, 2: uint port, 3: tstr auth-name, 4: bstr spki-sha256 }
// seed-signatures = { 1: bstr endpoint-signature, 2: bstr asp-certificate-signature }   ; DER ECDSA-SHA256

extension RegistryPayload {
    /// The device's identity as the registry publishes it.
    public struct Device: Hashable, Sendable {
        /// The eUICC's 32-digit EID: the device identifier.
        public var eid: String
        /// The profile id (grows with every activation, transfer or re-key).
        public var rpid: UInt64
        /// The device identity name, `<eid>._device.<zone>` (its TLSA owner and certificate SAN).
        public var dnsName: String
        /// The device's current certificate (DER), issued over the eSIM-held key.
        public var certificate: [UInt8]
        /// The CA certificate that issued ``certificate`` (DER).
        public var issuingCA: [UInt8]

        /// Makes a device section.
        public init(eid: String, rpid: UInt64, dnsName: String, certificate: [UInt8], issuingCA: [UInt8]) {
            self.eid = eid
            self.rpid = rpid
            self.dnsName = dnsName
            self.certificate = certificate
            self.issuingCA = issuingCA
        }

        var cbor: CBOR {
            [1: .text(eid), 2: .unsigned(rpid), 3: .text(dnsName), 4: .bytes(certificate), 5: .bytes(issuingCA)]
        }

        init(cbor: CBOR) throws {
            let r = try CBORMapReader(cbor, structure: "device")
            self.init(
                eid: try r.text(1, "eid"),
                rpid: try r.uint(2, "rpid"),
                dnsName: try r.text(3, "dnsName"),
                certificate: try r.bytes(4, "certificate"),
                issuingCA: try r.bytes(5, "issuingCA")
            )
        }
    }

    /// Where the device connects, and how it recognises the service.
    public struct ASPEndpoint: Hashable, Sendable {
        /// The ASP's host name.
        public var fqdn: String
        /// The service port.
        public var port: UInt16
        /// The full URL the device application uses.
        public var url: String
        /// The application protocol ("mqtts", "https", …).
        public var `protocol`: String
        /// The ASP's certificate (DER), when pinned by the registry.
        public var certificate: [UInt8]?
        /// The ASP's TLSA record, when the device is to check it through DNSSEC (DANE).
        public var tlsa: TLSAReference?

        /// Makes an endpoint section; give the certificate, its TLSA reference, or both.
        public init(
            fqdn: String,
            port: UInt16,
            url: String,
            protocol: String,
            certificate: [UInt8]? = nil,
            tlsa: TLSAReference? = nil
        ) {
            self.fqdn = fqdn
            self.port = port
            self.url = url
            self.protocol = `protocol`
            self.certificate = certificate
            self.tlsa = tlsa
        }

        /// The seed's endpoint container content (ID 8): `{"url":"<url>","port":<port>}`, exactly these bytes.
        ///
        /// One fixed serialization, so the registry's detached signature over it and the device's copy agree.
        public var seedEndpointJSON: [UInt8] {
            var json = "{\"url\":\""
            for scalar in url.unicodeScalars {
                switch scalar {
                case "\"": json += "\\\""
                case "\\": json += "\\\\"
                case _ where scalar.value < 0x20: json += String(format: "\\u%04x", scalar.value)
                default: json.unicodeScalars.append(scalar)
                }
            }
            json += "\",\"port\":\(port)}"
            return Array(json.utf8)
        }

        var cbor: CBOR {
            var map: [CBOR: CBOR] = [1: .text(fqdn), 2: .unsigned(UInt64(port)), 3: .text(url), 4: .text(`protocol`)]
            map.set(5, certificate.map { .bytes($0) })
            map.set(6, tlsa?.cbor)
            return .map(map)
        }

        init(cbor: CBOR) throws {
            let r = try CBORMapReader(cbor, structure: "ASP endpoint")
            self.init(
                fqdn: try r.text(1, "fqdn"),
                port: try r.uint(2, "port", as: UInt16.self),
                url: try r.text(3, "url"),
                protocol: try r.text(4, "protocol"),
                certificate: try r.optionalBytes(5, "certificate"),
                tlsa: try r.optional(6).map(TLSAReference.init(cbor:))
            )
            guard certificate != nil || tlsa != nil else {
                throw PayloadError(
                    .missingField, "ASP endpoint has neither a certificate (key 5) nor a TLSA reference (6)")
            }
        }
    }

    /// A TLSA record (RFC 6698) by owner name and data: how the device recognises the ASP through DANE.
    public struct TLSAReference: Hashable, Sendable {
        /// The TLSA owner, `_<port>._tcp.<fqdn>.`
        public var owner: String
        /// Certificate usage (3 = DANE-EE, 2 = DANE-TA).
        public var usage: UInt8
        /// Selector (1 = SubjectPublicKeyInfo).
        public var selector: UInt8
        /// Matching type (1 = SHA-256).
        public var matchingType: UInt8
        /// Certificate association data.
        public var data: [UInt8]

        /// Makes a TLSA reference.
        public init(owner: String, usage: UInt8, selector: UInt8, matchingType: UInt8, data: [UInt8]) {
            self.owner = owner
            self.usage = usage
            self.selector = selector
            self.matchingType = matchingType
            self.data = data
        }

        var cbor: CBOR {
            [
                1: .text(owner), 2: .unsigned(UInt64(usage)), 3: .unsigned(UInt64(selector)),
                4: .unsigned(UInt64(matchingType)), 5: .bytes(data),
            ]
        }

        init(cbor: CBOR) throws {
            let r = try CBORMapReader(cbor, structure: "TLSA reference")
            self.init(
                owner: try r.text(1, "owner"),
                usage: try r.uint(2, "usage", as: UInt8.self),
                selector: try r.uint(3, "selector", as: UInt8.self),
                matchingType: try r.uint(4, "matchingType", as: UInt8.self),
                data: try r.bytes(5, "data")
            )
        }
    }

    /// The DNS-over-TLS resolver (RFC 7858) the device trusts, pinned by its key.
    public struct DNSResolver: Hashable, Sendable {
        /// IP address (text form).
        public var address: String
        /// Port (853 by default in RFC 7858).
        public var port: UInt16
        /// The name its certificate must carry (RFC 8310 authentication domain name).
        public var authenticationName: String
        /// SHA-256 of its SubjectPublicKeyInfo (RFC 7858 §4.2 SPKI pin).
        public var spkiSHA256: [UInt8]

        /// Makes a resolver section.
        public init(address: String, port: UInt16 = 853, authenticationName: String, spkiSHA256: [UInt8]) {
            self.address = address
            self.port = port
            self.authenticationName = authenticationName
            self.spkiSHA256 = spkiSHA256
        }

        var cbor: CBOR {
            [1: .text(address), 2: .unsigned(UInt64(port)), 3: .text(authenticationName), 4: .bytes(spkiSHA256)]
        }

        init(cbor: CBOR) throws {
            let r = try CBORMapReader(cbor, structure: "DNS resolver")
            self.init(
                address: try r.text(1, "address"),
                port: try r.uint(2, "port", as: UInt16.self),
                authenticationName: try r.text(3, "authenticationName"),
                spkiSHA256: try r.bytes(4, "spkiSHA256")
            )
        }
    }

    /// Detached DER ECDSA-SHA256 signatures the seed's device middleware checks with the issuing CA certificate:
    /// over ``ASPEndpoint/seedEndpointJSON`` (container 9) and over the ASP certificate DER (container 10).
    public struct SeedSignatures: Hashable, Sendable {
        /// Signature over the endpoint JSON bytes.
        public var endpointSignature: [UInt8]
        /// Signature over the ASP certificate DER.
        public var aspCertificateSignature: [UInt8]

        /// Makes the section from two DER signatures.
        public init(endpointSignature: [UInt8], aspCertificateSignature: [UInt8]) {
            self.endpointSignature = endpointSignature
            self.aspCertificateSignature = aspCertificateSignature
        }

        var cbor: CBOR { [1: .bytes(endpointSignature), 2: .bytes(aspCertificateSignature)] }

        init(cbor: CBOR) throws {
            let r = try CBORMapReader(cbor, structure: "seed signatures")
            self.init(
                endpointSignature: try r.bytes(1, "endpointSignature"),
                aspCertificateSignature: try r.bytes(2, "aspCertificateSignature")
            )
        }
    }
}
