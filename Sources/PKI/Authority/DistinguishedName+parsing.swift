import SwiftASN1
public import X509

extension DistinguishedName {
    /// Parses an RFC 4514 string such as `CN=IoT Registry Root CA, O=Example Registry, C=CA`.
    ///
    /// Why: operators configure CA subject names as one line of text. As in RFC 4514 the most specific attribute
    /// comes first, so the DER order is the reverse (C, O, CN). Supported types: CN, O, OU, C, ST, L, DC, STREET;
    /// `\,` escapes a comma. Unknown types or empty values are refused with the list of supported ones.
    public init(parsing text: String) throws {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        var rdns: [RelativeDistinguishedName] = []
        for part in parts {
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2 else {
                throw PKIError.invalid(
                    "'\(part)' in subject '\(text)' is not TYPE=value (e.g. CN=IoT Registry Root CA)")
            }
            let type = pieces[0].trimmingSpaces.uppercased()
            let value = pieces[1].trimmingSpaces
            guard !value.isEmpty else { throw PKIError.invalid("empty value for \(type) in subject '\(text)'") }
            let oid: ASN1ObjectIdentifier
            switch type {
            case "CN": oid = .RDNAttributeType.commonName
            case "O": oid = .RDNAttributeType.organizationName
            case "OU": oid = .RDNAttributeType.organizationalUnitName
            case "C": oid = .RDNAttributeType.countryName
            case "ST": oid = .RDNAttributeType.stateOrProvinceName
            case "L": oid = .RDNAttributeType.localityName
            case "DC": oid = .RDNAttributeType.domainComponent
            case "STREET": oid = .RDNAttributeType.streetAddress
            default:
                throw PKIError.invalid(
                    "attribute type '\(type)' in subject '\(text)'; use CN, O, OU, C, ST, L, DC or STREET")
            }
            let attribute: RelativeDistinguishedName.Attribute
            if type == "C" {
                guard value.count == 2 else { throw PKIError.invalid("country '\(value)' must be a two-letter code") }
                do {
                    attribute = try .init(type: oid, printableString: value)
                } catch {
                    throw PKIError.invalid("country '\(value)' must be a two-letter code")
                }
            } else if type == "DC" {
                do {
                    attribute = try .init(type: oid, ia5String: value)
                } catch {
                    throw PKIError.invalid("DC '\(value)' must be ASCII")
                }
            } else {
                attribute = .init(type: oid, utf8String: value)
            }
            rdns.append(RelativeDistinguishedName(attribute))
        }
        self.init(rdns.reversed())
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
