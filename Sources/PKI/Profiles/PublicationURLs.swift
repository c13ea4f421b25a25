/// Where relying parties fetch revocation data and issuer certificates; each a base like `http://registry.example`.
///
/// Why three bases: a deployment may serve CRLs from a CDN, OCSP from the registry and CA files from a web host.
/// The paths are fixed by INTERFACE.md: `/crl/<AKI>.crl`, `/ocsp`, `/.well-known/ca/<AKI>.pem`.
public struct PublicationURLs: Hashable, Sendable {
    /// Base of `/crl/<AKI hex>.crl`.
    public var crlBase: String
    /// Base of `/ocsp`.
    public var ocspBase: String
    /// Base of `/.well-known/ca/<AKI hex>.pem`.
    public var caIssuersBase: String

    /// One base for all three; trailing slashes are dropped. Must start with `http://` or `https://`.
    public init(base: String) throws {
        try self.init(crlBase: base, ocspBase: base, caIssuersBase: base)
    }

    /// Separate bases; each must start with `http://` or `https://` (RFC 5280 §4.2.2.1 fetchers expect HTTP).
    public init(crlBase: String, ocspBase: String, caIssuersBase: String) throws {
        func clean(_ url: String) throws -> String {
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.utf8.count > 8,
                url.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 })
            else {
                throw PKIError.invalid("URL base '\(url)' must be an ASCII http:// or https:// URL without spaces")
            }
            var url = url
            while url.hasSuffix("/") { url.removeLast() }
            return url
        }
        self.crlBase = try clean(crlBase)
        self.ocspBase = try clean(ocspBase)
        self.caIssuersBase = try clean(caIssuersBase)
    }

    /// The CRL URL of the CA with key identifier `aki`.
    public func crlURL(aki: KeyIdentifier) -> String { "\(crlBase)/crl/\(aki.hex).crl" }
    /// The OCSP responder URL.
    public var ocspURL: String { "\(ocspBase)/ocsp" }
    /// The URL of the issuer certificate (PEM) with key identifier `aki`.
    public func caIssuersURL(aki: KeyIdentifier) -> String { "\(caIssuersBase)/.well-known/ca/\(aki.hex).pem" }
}
