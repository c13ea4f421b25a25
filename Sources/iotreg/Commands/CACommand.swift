import ArgumentParser
import Foundation
import PKI
import RegistryCore
import X509

/// `iotreg ca`: the registry's certificate authority, worked on the data folder directly (like `audit verify`).
struct CACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "Show the CA chain, add an issuing CA, revoke a certificate, print a CRL.",
        subcommands: [Show.self, IssueIntermediate.self, Revoke.self, CRL.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every CA certificate (issuing CAs, then the root) with its key identifier, as PEM.")

        @OptionGroup var options: DataOptions

        func run() async throws {
            let home = RegistryHome(path: options.data)
            let settings = try home.settings()
            let pki = try home.loadPKI(zone: settings.zone)
            let caSettings = try home.caSettings()
            for (domain, authority) in pki.hierarchy.issuing.sorted(by: { $0.key < $1.key }) {
                let marker = domain == caSettings.deviceIssuer ? " (issues device certificates)" : ""
                print(describe(authority, role: "issuing CA '\(domain)'\(marker)", urls: pki.urls))
            }
            print(describe(pki.hierarchy.root, role: "root CA", urls: pki.urls))
        }

        func describe(_ authority: CertificateAuthority, role: String, urls: PublicationURLs) -> String {
            let certificate = authority.certificate
            return """
                # \(role)
                #   subject     \(certificate.subject)
                #   issuer      \(certificate.issuer)
                #   key id      \(authority.keyIdentifier.hex)
                #   valid       \(ISO8601.string(certificate.notValidBefore)) .. \(ISO8601.string(certificate.notValidAfter))
                #   published   \(urls.caIssuersURL(aki: authority.keyIdentifier))
                #   CRL         \(urls.crlURL(aki: authority.keyIdentifier))
                \(certificate.pemString)
                """
        }
    }

    struct IssueIntermediate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-intermediate",
            abstract: "Create an issuing CA for a domain (a region, a large ASP) under the root; restart serve to load it.")

        @OptionGroup var options: DataOptions

        @Option(help: "The domain name of the new issuing CA (letters, digits, '.', '_', '-').")
        var domain: String

        @Flag(help: "Make the new CA the one that signs device certificates from now on.")
        var deviceIssuer = false

        func validate() throws {
            guard !domain.isEmpty, domain.count <= 48,
                domain.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
            else {
                throw ValidationError("--domain must be 1-48 of A-Z a-z 0-9 . _ -")
            }
        }

        func run() async throws {
            let home = RegistryHome(path: options.data)
            let settings = try home.settings()
            let hierarchy = try home.loadHierarchy()
            guard hierarchy.issuing[domain] == nil else {
                throw CLIError("an issuing CA for '\(domain)' exists already; `iotreg ca show` lists them")
            }
            let updated = try hierarchy.addingIssuer(
                domain: domain,
                subject: try RegistryHome.caSubject("IoT Registry Issuing CA \(domain)", zone: settings.zone),
                keyStore: try home.keyStore(create: false))
            guard let authority = updated.issuing[domain] else { throw CLIError("the issuing CA was not created") }
            try Data(authority.certificate.pemString.utf8).write(to: home.issuingCertificateURL(domain: domain))
            if deviceIssuer {
                var caSettings = try home.caSettings()
                caSettings.deviceIssuer = domain
                try home.writeCASettings(caSettings)
            }
            print("# issuing CA '\(domain)', key id \(authority.keyIdentifier.hex)")
            print(authority.certificate.pemString, terminator: "")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an issued certificate by serial; CRL and OCSP say so at once.")

        @OptionGroup var options: DataOptions

        @Argument(help: "The serial number in hex (colons and 0x allowed), as `openssl x509 -serial` prints it.")
        var serial: String

        @Option(
            help: """
                RFC 5280 reason: unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, \
                certificateHold, privilegeWithdrawn, or its number.
                """)
        var reason: String = "unspecified"

        func run() async throws {
            let code = try Self.reasonCode(reason)
            let home = RegistryHome(path: options.data)
            let settings = try home.settings()
            let store = try await home.openStore(databaseURL: options.database ?? settings.database)
            let registry = Registry(store: store, pki: try home.loadPKI(zone: settings.zone))
            let record = try await registry.revokeCertificate(serial: serial, reason: code, by: .registryOperator)
            print("revoked \(record.serial) (device \(record.eid), profile \(record.rpid)) reason \(code)")
        }

        static func reasonCode(_ text: String) throws -> CRLReason {
            let names: [String: CRLReason] = [
                "unspecified": .unspecified, "keycompromise": .keyCompromise, "cacompromise": .cACompromise,
                "affiliationchanged": .affiliationChanged, "superseded": .superseded,
                "cessationofoperation": .cessationOfOperation, "certificatehold": .certificateHold,
                "privilegewithdrawn": .privilegeWithdrawn, "aacompromise": .aACompromise,
            ]
            if let reason = names[text.lowercased()] { return reason }
            if let number = Int(text), (0...10).contains(number), number != 7 { return CRLReason(rawValue: number) }
            throw ValidationError("unknown --reason '\(text)'; use one of \(names.keys.sorted().joined(separator: ", "))")
        }
    }

    struct CRL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a freshly signed CRL (PEM) of the device-issuing CA, or of the CA named by --issuer.")

        @OptionGroup var options: DataOptions

        @Option(help: "The CA's key identifier (hex or dash-joined hex); default the device-issuing CA.")
        var issuer: String?

        @Flag(help: "Write DER to standard output instead of PEM.")
        var der = false

        func run() async throws {
            let home = RegistryHome(path: options.data)
            let settings = try home.settings()
            let store = try await home.openStore(databaseURL: options.database ?? settings.database)
            let pki = try home.loadPKI(zone: settings.zone)
            let registry = Registry(store: store, pki: pki)
            let crl = try await registry.certificateRevocationList(
                keyIdentifier: issuer ?? (try pki.issuer.keyIdentifier.hex))
            if der {
                FileHandle.standardOutput.write(Data(crl.derBytes))
            } else {
                print(crl.pemString, terminator: "")
            }
        }
    }
}
