import Foundation
import PKI
import RegistryCore
import X509

/// The registry's certificate authority on disk, inside the data folder:
///
/// ```
/// DIR/operator.key            32 random bytes, 0600: the operator secret that unlocks the CA keys
///                             (or $IOTREG_KEY_FILE elsewhere, or $IOTREG_PASSPHRASE instead)
/// DIR/ca/keys/<label>.key     CA private keys, AES-256-GCM under the operator secret, 0600 in a 0700 folder
/// DIR/ca/root.pem             the root certificate (public)
/// DIR/ca/issuing-<domain>.pem one issuing CA per domain (public)
/// DIR/ca/ca.json              which domain issues device certificates, the publication URL, validity, grace
/// ```
extension RegistryHome {
    /// What the CA was created with; kept next to its certificates.
    struct CASettings: Codable {
        /// The issuing domain whose CA signs device certificates.
        var deviceIssuer: String
        /// Where CRLs, OCSP and CA certificates are published (the REST API's public base URL).
        var publicURL: String
        /// Device certificate lifetime in days.
        var validityDays: Int
        /// Days after expiry within which the MNO may still renew a device's certificate.
        var renewalGraceDays: Int
    }

    var caDirectory: URL { directory.appendingPathComponent("ca", isDirectory: true) }
    var caKeysDirectory: URL { caDirectory.appendingPathComponent("keys", isDirectory: true) }
    var caSettingsURL: URL { caDirectory.appendingPathComponent("ca.json") }
    var rootCertificateURL: URL { caDirectory.appendingPathComponent("root.pem") }
    func issuingCertificateURL(domain: String) -> URL {
        caDirectory.appendingPathComponent("\(CAHierarchy.issuingLabel(domain: domain)).pem")
    }

    var hasCA: Bool { FileManager.default.fileExists(atPath: caSettingsURL.path) }

    /// The operator secret: `$IOTREG_PASSPHRASE`, else the key file `$IOTREG_KEY_FILE` or `DIR/operator.key`
    /// (created 0600 when `create` is true and it is missing).
    func operatorSecret(create: Bool) throws -> OperatorSecret {
        let environment = ProcessInfo.processInfo.environment
        if let passphrase = environment["IOTREG_PASSPHRASE"], !passphrase.isEmpty {
            return try OperatorSecret.passphrase(passphrase)
        }
        let path = environment["IOTREG_KEY_FILE"] ?? directory.appendingPathComponent("operator.key").path
        return try OperatorSecret.keyFile(at: URL(fileURLWithPath: path), createIfMissing: create)
    }

    func keyStore(create: Bool) throws -> SoftwareKeyStore {
        try SoftwareKeyStore(directory: caKeysDirectory, secret: try operatorSecret(create: create))
    }

    static func caSubject(_ role: String, zone: String) throws -> DistinguishedName {
        var name = zone.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return try DistinguishedName(parsing: "CN=\(role), O=IoT Registry \(name)")
    }

    /// Creates the root and the device-issuing CA (domain `devices`); refuses when a CA exists.
    func createCA(zone: String, publicURL: String) throws {
        guard !hasCA else { throw CLIError("\(caDirectory.path) already holds a CA; refusing to overwrite it") }
        _ = try PublicationURLs(base: publicURL)
        let fileManager = FileManager.default
        try fileManager.createDirectory(
            at: caDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let keyStore = try keyStore(create: true)
        let domain = "devices"
        let hierarchy = try CAHierarchy.create(
            keyStore: keyStore, rootSubject: try Self.caSubject("IoT Registry Root CA", zone: zone),
            issuing: [domain: try Self.caSubject("IoT Registry Issuing CA \(domain)", zone: zone)])
        try Data(hierarchy.root.certificate.pemString.utf8).write(to: rootCertificateURL)
        for (name, authority) in hierarchy.issuing {
            try Data(authority.certificate.pemString.utf8).write(to: issuingCertificateURL(domain: name))
        }
        try writeCASettings(
            CASettings(deviceIssuer: domain, publicURL: publicURL, validityDays: 365, renewalGraceDays: 90))
    }

    func caSettings() throws -> CASettings {
        guard hasCA else {
            throw CLIError("\(directory.path) has no CA yet; `iotreg serve` creates it, or run `iotreg init`")
        }
        return try JSONDecoder().decode(CASettings.self, from: Data(contentsOf: caSettingsURL))
    }

    func writeCASettings(_ settings: CASettings) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(settings).write(to: caSettingsURL, options: .atomic)
    }

    /// The issuing domains present on disk.
    func issuingDomains() throws -> [String] {
        let prefix = CAHierarchy.issuingLabel(domain: "")
        return try FileManager.default.contentsOfDirectory(atPath: caDirectory.path)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".pem") }
            .map { String($0.dropFirst(prefix.count).dropLast(4)) }
            .sorted()
    }

    func loadHierarchy() throws -> CAHierarchy {
        let root = try Self.readCertificate(rootCertificateURL)
        var issuing: [String: Certificate] = [:]
        for domain in try issuingDomains() {
            issuing[domain] = try Self.readCertificate(issuingCertificateURL(domain: domain))
        }
        do {
            return try CAHierarchy.load(keyStore: try keyStore(create: false), root: root, issuing: issuing)
        } catch let error as PKIError {
            throw CLIError(
                "cannot unlock the CA keys in \(caKeysDirectory.path): \(error.reason) (the operator secret is "
                    + "DIR/operator.key, $IOTREG_KEY_FILE or $IOTREG_PASSPHRASE)")
        }
    }

    /// The CA as the registry core uses it.
    func loadPKI(zone: String) throws -> RegistryPKI {
        let settings = try caSettings()
        return try RegistryPKI(
            hierarchy: try loadHierarchy(), issuingDomain: settings.deviceIssuer, zone: zone,
            urls: try PublicationURLs(base: settings.publicURL), validity: TimeInterval(settings.validityDays) * 86_400,
            renewalGrace: TimeInterval(settings.renewalGraceDays) * 86_400)
    }

    static func readCertificate(_ url: URL) throws -> Certificate {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CLIError("cannot read \(url.path)")
        }
        return try Certificate(pemOrDER: Array(data))
    }
}
