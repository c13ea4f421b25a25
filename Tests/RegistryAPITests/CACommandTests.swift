import Foundation
import PeerTesting
import Testing

/// `iotreg init` creates the CA with its keys encrypted at rest, and `iotreg ca` shows, extends, revokes and
/// publishes it; openssl checks every certificate and CRL the commands print.
@Suite struct CACommandTests {
    static let binary = PeerTool.packageRoot().appendingPathComponent(".build/debug/iotreg").path

    static func iotreg(_ arguments: [String], environment: String = "") throws -> PeerTool.Result {
        let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
        return try PeerTool.run("sh", ["-c", "\(environment) '\(binary)' \(quoted)"])
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test(.enabled(if: PeerTool.isAvailable("openssl")))
    func initCreatesAnEncryptedCAAndTheCACommandsWork() throws {
        let dir = try PeerTool.temporaryDirectory("iotreg-ca-cli")
        let data = dir.appendingPathComponent("data").path
        let created = try Self.iotreg(["init", "--data", data])
        try #require(created.status == 0, "\(created.output)")
        #expect(created.stdout.contains("CA: root "))

        // Secrets are the owner's only; the CA keys are not stored in the clear.
        #expect(try Self.mode("\(data)/operator.key") == 0o600)
        #expect(try Self.mode("\(data)/ca/keys") == 0o700)
        for key in ["root", "issuing-devices"] {
            let path = "\(data)/ca/keys/\(key).key"
            #expect(try Self.mode(path) == 0o600, "\(path)")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(bytes.starts(with: Data("IOTREGKEY1".utf8)), "\(path) is not a sealed key file")
        }

        let shown = try Self.iotreg(["ca", "show", "--data", data])
        try #require(shown.status == 0, "\(shown.output)")
        try shown.stdout.write(toFile: dir.appendingPathComponent("chain.pem").path, atomically: true, encoding: .utf8)
        #expect(shown.stdout.components(separatedBy: "BEGIN CERTIFICATE").count == 3, "\(shown.stdout)")
        let verify = try PeerTool.run(
            "openssl", ["verify", "-CAfile", "\(data)/ca/root.pem", "\(data)/ca/issuing-devices.pem"])
        #expect(verify.status == 0 && verify.stdout.contains(": OK"), "\(verify.output)")

        // A second issuing CA for a region; it chains to the same root and can become the device issuer.
        let added = try Self.iotreg(["ca", "issue-intermediate", "--data", data, "--domain", "eu", "--device-issuer"])
        try #require(added.status == 0, "\(added.output)")
        let euVerify = try PeerTool.run(
            "openssl", ["verify", "-CAfile", "\(data)/ca/root.pem", "\(data)/ca/issuing-eu.pem"])
        #expect(euVerify.status == 0, "\(euVerify.output)")
        let again = try Self.iotreg(["ca", "issue-intermediate", "--data", data, "--domain", "eu"])
        #expect(again.status != 0 && again.output.contains("exists already"), "\(again.output)")
        #expect(try Self.iotreg(["ca", "show", "--data", data]).stdout.contains("issuing CA 'eu' (issues device"))

        // A CRL signed by the device issuer, which openssl verifies.
        let crl = try Self.iotreg(["ca", "crl", "--data", data])
        try #require(crl.status == 0, "\(crl.output)")
        let crlPath = dir.appendingPathComponent("eu.crl").path
        try crl.stdout.write(toFile: crlPath, atomically: true, encoding: .utf8)
        let crlVerify = try PeerTool.run(
            "openssl", ["crl", "-in", crlPath, "-CAfile", "\(data)/ca/issuing-eu.pem", "-verify", "-noout"])
        #expect(crlVerify.status == 0 && crlVerify.output.contains("verify OK"), "\(crlVerify.output)")

        // Refusals say what to do and change nothing.
        let unknown = try Self.iotreg(["ca", "revoke", "--data", data, "0a:bc"])
        #expect(unknown.status != 0 && unknown.output.contains("no certificate with serial 0abc"), "\(unknown.output)")
        let badReason = try Self.iotreg(["ca", "revoke", "--data", data, "0abc", "--reason", "boredom"])
        #expect(badReason.status != 0 && badReason.output.contains("unknown --reason"), "\(badReason.output)")
        let wrongSecret = try Self.iotreg(
            ["ca", "show", "--data", data], environment: "IOTREG_PASSPHRASE='not the operator secret'")
        #expect(wrongSecret.status != 0 && wrongSecret.output.contains("cannot unlock"), "\(wrongSecret.output)")
        let reinit = try Self.iotreg(["init", "--data", data])
        #expect(reinit.status != 0 && reinit.output.contains("refusing to overwrite"), "\(reinit.output)")
    }
}
