import Crypto
import Foundation
import PeerTesting
import Testing
import X509

@testable import PKI

@Suite struct KeyStoreTests {
    @Test func inMemoryGenerateSignListDelete() throws {
        let store = InMemoryKeyStore()
        let signer = try store.generateKey(label: "root", algorithm: .ecdsaP256)
        #expect(try store.labels() == ["root"])
        let message: [UInt8] = Array("hello".utf8)
        let signature = try P256.Signing.ECDSASignature(derRepresentation: try signer.sign(message))
        let publicKey = try #require(P256.Signing.PublicKey(signer.publicKey))
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(throws: PKIError(.keyExists, "")) { try store.generateKey(label: "root", algorithm: .ecdsaP256) }
        try store.deleteKey(label: "root")
        #expect(throws: PKIError(.keyNotFound, "")) { try store.signer(label: "root") }
    }

    @Test func descriptionsNeverShowKeys() throws {
        let signer = try InMemoryKeyStore().generateKey(label: "k", algorithm: .ecdsaP384)
        var dumped = ""
        dump(signer, to: &dumped)
        let text = "\(signer) \(String(reflecting: signer)) \(dumped)"
        #expect(text.contains("k"))
        let raw = try #require(signer as? SoftwareSigner).rawScalar
        #expect(!text.contains(Hex.string(raw)))
        #expect(try "\(OperatorSecret.passphrase("correct horse battery staple"))".contains("redacted"))
    }

    @Test func softwareKeyStoreRoundTripAndFileModes() throws {
        let dir = try PeerTool.temporaryDirectory("pki-keystore")
        defer { try? FileManager.default.removeItem(at: dir) }
        let secret = try OperatorSecret.keyFile(at: dir.appendingPathComponent("secret.key"))
        let keys = dir.appendingPathComponent("keys")
        let store = try SoftwareKeyStore(directory: keys, secret: secret)
        let created = try store.generateKey(label: "issuing-default", algorithm: .ecdsaP256)
        let p384 = try store.generateKey(label: "root", algorithm: .ecdsaP384)

        let mode = { (path: String) in
            ((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? NSNumber)?.intValue
        }
        #expect(try mode(keys.path) == 0o700)
        #expect(try mode(keys.appendingPathComponent("issuing-default.key").path) == 0o600)
        #expect(try mode(dir.appendingPathComponent("secret.key").path) == 0o600)

        // The file does not contain the raw private scalar.
        let file = try Data(contentsOf: keys.appendingPathComponent("issuing-default.key"))
        let raw = try #require(created as? SoftwareSigner).rawScalar
        #expect(file.range(of: Data(raw)) == nil)

        // Reopen with the same secret: same public keys.
        let reopened = try SoftwareKeyStore(
            directory: keys, secret: try OperatorSecret.keyFile(at: dir.appendingPathComponent("secret.key"))
        )
        #expect(try reopened.signer(label: "issuing-default").publicKey == created.publicKey)
        #expect(try reopened.signer(label: "root").publicKey == p384.publicKey)
        #expect(try reopened.labels() == ["issuing-default", "root"])
    }

    @Test func wrongSecretFails() throws {
        let dir = try PeerTool.temporaryDirectory("pki-keystore")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SoftwareKeyStore(directory: dir, secret: try .passphrase("correct horse battery staple"))
        _ = try store.generateKey(label: "root", algorithm: .ecdsaP256)
        let wrong = try SoftwareKeyStore(directory: dir, secret: try .passphrase("incorrect horse battery staple"))
        #expect(throws: PKIError(.wrongSecretOrTampered, "")) { try wrong.signer(label: "root") }
        #expect(try store.signer(label: "root").label == "root")
    }

    @Test func tamperedFileFails() throws {
        let dir = try PeerTool.temporaryDirectory("pki-keystore")
        defer { try? FileManager.default.removeItem(at: dir) }
        let secret = try OperatorSecret.keyFile(at: dir.appendingPathComponent("s"))
        let store = try SoftwareKeyStore(directory: dir.appendingPathComponent("k"), secret: secret)
        _ = try store.generateKey(label: "a", algorithm: .ecdsaP256)
        let path = dir.appendingPathComponent("k/a.key")
        let original = try Data(contentsOf: path)
        for index in [0, 12, original.count / 2, original.count - 1] {
            var bytes = original
            bytes[index] ^= 0x01
            try bytes.write(to: path)
            #expect(throws: PKIError(.wrongSecretOrTampered, "")) { try store.signer(label: "a") }
        }
        try Data(original.prefix(20)).write(to: path)
        #expect(throws: PKIError(.wrongSecretOrTampered, "")) { try store.signer(label: "a") }
        // A file copied to another label does not open either (the label is authenticated).
        try original.write(to: dir.appendingPathComponent("k/b.key"))
        #expect(throws: PKIError(.wrongSecretOrTampered, "")) { try store.signer(label: "b") }
    }

    @Test func badLabelsAndLooseSecretFileAreRefused() throws {
        let dir = try PeerTool.temporaryDirectory("pki-keystore")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SoftwareKeyStore(directory: dir, secret: try .keyFile(at: dir.appendingPathComponent("s")))
        for label in ["", "../x", ".hidden", "a/b", String(repeating: "a", count: 65)] {
            #expect(throws: PKIError(.invalidArgument, "")) {
                try store.generateKey(label: label, algorithm: .ecdsaP256)
            }
        }
        let loose = dir.appendingPathComponent("loose")
        try Data(repeating: 7, count: 32).write(to: loose)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: loose.path)
        #expect(throws: PKIError(.keyStoreIO, "")) { try OperatorSecret.keyFile(at: loose) }
        #expect(throws: PKIError(.invalidArgument, "")) { try OperatorSecret.passphrase("short") }
    }
}
