import Crypto
import DeviceKit
import Foundation
import Logging
import PKI
import Payload
import PeerTesting
import RegistryCore
import RegistryProvisioning
import RegistryStoreSQLite
import SwiftASN1
import Testing
import X509

/// The payload builder between the CA and the MNO channel: a certificate issued from an eSIM's CSR becomes a signed,
/// sealed payload that the eSIM accepts, and real COSE/CBOR peers agree.
@Suite struct PayloadBuilderTests {
    /// A registry with a CA in memory, two ASPs with server certificates, an owner and an MNO.
    struct Bench {
        let registry: Registry
        let pki: RegistryPKI
        let builder: PayloadBuilder
        let signer: PayloadSigner
        let parko: String
        let carPark: String
        let owner: String
        let mno: String

        static func make(wifi: Bool = true) async throws -> Bench {
            let store = try SQLiteRegistryStore(path: ":memory:")
            try await store.migrate()
            let keys = InMemoryKeyStore()
            let hierarchy = try CAHierarchy.create(
                keyStore: keys, rootSubject: try DistinguishedName(parsing: "CN=Test Root"),
                issuing: ["devices": try DistinguishedName(parsing: "CN=Test Issuing")])
            let pki = try RegistryPKI(
                hierarchy: hierarchy, issuingDomain: "devices", zone: "iotregistry.test.",
                urls: try PublicationURLs(base: "http://127.0.0.1:8080"))
            let registry = Registry(store: store, pki: pki)
            _ = try await registry.bootstrapOperator()
            func serverPEM(_ name: String) throws -> String {
                try ServerCertificateProfile(
                    publicKey: Certificate.PublicKey(P256.Signing.PrivateKey().publicKey), dnsNames: [name]
                ).issue(by: try pki.issuer).pemString
            }
            let op = Principal.registryOperator
            let parko = try await registry.createASP(
                NewASP(
                    name: "ParkoServ", fqdn: "parkoserv.iotregistry.test", port: 8443,
                    serverCertificatePEM: try serverPEM("parkoserv.iotregistry.test")), by: op)
            let carPark = try await registry.createASP(
                NewASP(
                    name: "CarParkServ", fqdn: "carparkserv.iotregistry.test", port: 8443,
                    serverCertificatePEM: try serverPEM("carparkserv.iotregistry.test")), by: op)
            let owner = try await registry.createTenant(kind: .owner, name: "City", by: op)
            let mno = try await registry.createTenant(kind: .mno, name: "Rogers", by: op)
            let signerKey = try keys.generateKey(label: "payload-signer", algorithm: .ecdsaP256)
            let signerCertificate = try PayloadSignerCertificateProfile(
                publicKey: signerKey.publicKey, commonName: "Test Payload Signer"
            ).issue(by: try pki.issuer)
            let signer = try PayloadSigner(key: signerKey, chain: [signerCertificate, try pki.issuer.certificate])
            let settings = PayloadSettings(
                resolver: .init(
                    address: "127.0.0.1", port: 8853, authenticationName: "localhost",
                    spkiSHA256: Array(repeating: 7, count: 32)),
                trustAnchors: DNSTrustAnchor.ianaRoot, wifi: wifi ? (ssid: "city-meters", passphrase: "s3cret") : nil)
            let builder = PayloadBuilder(
                registry: registry, signer: signer, settings: settings, logger: Logger(label: "test"))
            return Bench(
                registry: registry, pki: pki, builder: builder, signer: signer, parko: parko.id, carPark: carPark.id,
                owner: owner.id, mno: mno.id)
        }

        var root: Certificate { pki.hierarchy.root.certificate }

        /// Registers and activates device `n` under ParkoServ.
        func activeDevice(_ n: Int) async throws -> EID {
            let eid = try EID.withCheckDigits(body: "8904903200" + String(format: "%020d", n))
            _ = try await registry.registerDevice(
                NewDevice(
                    eid: eid.digits,
                    iccid: try ICCID.withCheckDigit(body: "898812345678" + String(format: "%07d", n)).digits,
                    owner: owner, mno: mno), by: .asp(parko))
            _ = try await registry.activate(eid.digits, by: .asp(parko))
            return eid
        }
    }

    /// A simulated eSIM as the MNO drives it for a `generate-key` task: key in container 1, CSR, key-agreement key.
    struct ESIM {
        let applet: SimulatedIoTSafeApplet
        let client: IoTSafeClient

        init(root: Certificate) throws {
            applet = try SimulatedIoTSafeApplet()
            client = try IoTSafeClient(applet: applet)
            _ = try client.generateKeyPair(in: IoTSafePersonalisation.keyAgreementKeyID)
            var serializer = DER.Serializer()
            try serializer.serialize(root)
            try applet.writeFiles([IoTSafePersonalisation.FileID.rootCertificate: serializer.serializedBytes])
        }

        func csrAnswer() throws -> MNOTaskResult {
            _ = try client.generateKeyPair(in: IoTSafePersonalisation.clientKeyID)
            let csr = try client.certificateSigningRequest(subject: try DistinguishedName { CommonName("meter") })
            var serializer = DER.Serializer()
            try serializer.serialize(csr)
            let agreement = try IoTSafeKeyAgreement(client: client).publicKey.x963Representation
            return .csr(serializer.serializedBytes, keyAgreementPublicKey: Array(agreement))
        }

        func accept(_ payload: [UInt8], eid: EID, root: Certificate) async throws -> PayloadVerifier.Accepted {
            return try await PayloadVerifier(eid: eid.digits, registryRoot: root).accept(
                payload, client: client, writer: applet)
        }
    }

    /// Activation → key task → eSIM CSR → certificate → builder → delivery task → eSIM accepts → receipt.
    static func provision(_ bench: Bench, _ eid: EID, esim: ESIM) async throws -> (MNOTask, [UInt8]) {
        let mno = Principal.mno(bench.mno)
        let keyTask = try #require(try await bench.registry.fetchTasks(limit: 10, by: mno).first { $0.eid == eid })
        #expect(keyTask.kind == .generateKey)
        _ = try await bench.registry.submitTaskResult(keyTask.id, try esim.csrAnswer(), by: mno)
        try await bench.builder.catchUp()
        let delivery = try #require(try await bench.registry.fetchTasks(limit: 10, by: mno).first { $0.eid == eid })
        #expect(delivery.kind == .deliverPayload)
        let payload = try await bench.registry.currentPayload(eid.digits, by: mno)
        #expect(Int64(delivery.payloadSequence ?? -1) == payload.sequence)
        return (delivery, payload.bytes)
    }

    @Test func theESIMAcceptsThePayloadNamingItsASPAndOpensTheSealedWiFi() async throws {
        let bench = try await Bench.make()
        let eid = try await bench.activeDevice(1)
        let esim = try ESIM(root: bench.root)
        let (delivery, bytes) = try await Self.provision(bench, eid, esim: esim)
        let accepted = try await esim.accept(bytes, eid: eid, root: bench.root)
        #expect(accepted.payload.asp.fqdn == "parkoserv.iotregistry.test")
        #expect(accepted.payload.device.dnsName == "\(eid.digits)._device.iotregistry.test.")
        #expect(accepted.payload.asp.tlsa?.owner == "_8443._tcp.parkoserv.iotregistry.test.")
        #expect(accepted.wifiPassphrase == "s3cret")
        #expect(accepted.payload.seedSignatures != nil)
        let answer = try await bench.registry.submitTaskResult(
            delivery.id, .delivered(sequence: Int64(accepted.payload.sequence)), by: .mno(bench.mno))
        #expect(answer.task.state == .succeeded)
        let device = try await bench.registry.device(eid.digits, by: .asp(bench.parko))
        #expect(try await bench.registry.provisioning(of: device).stage == "delivered")
        // Catching up again builds nothing new: the builder is idempotent.
        try await bench.builder.catchUp()
        #expect(try await bench.registry.currentPayload(eid.digits, by: .mno(bench.mno)).sequence == 1)
    }

    @Test func aTransferDeliversANewerPayloadNamingTheNewASPAndTheOldOneIsRefusedAsARollback() async throws {
        let bench = try await Bench.make()
        let eid = try await bench.activeDevice(1)
        let esim = try ESIM(root: bench.root)
        let (firstDelivery, first) = try await Self.provision(bench, eid, esim: esim)
        _ = try await esim.accept(first, eid: eid, root: bench.root)
        _ = try await bench.registry.submitTaskResult(firstDelivery.id, .delivered(sequence: 1), by: .mno(bench.mno))

        let code = try await bench.registry.issueTransferCode(for: [eid.digits], by: .owner(bench.owner))
        _ = try await bench.registry.requestTransfer(eid.digits, authCode: code.code, by: .asp(bench.carPark))
        try await bench.builder.catchUp()
        let delivery = try #require(try await bench.registry.fetchTasks(limit: 10, by: .mno(bench.mno)).first)
        #expect(delivery.kind == .deliverPayload && delivery.payloadSequence == 2)
        let second = try await bench.registry.currentPayload(eid.digits, by: .mno(bench.mno)).bytes
        let accepted = try await esim.accept(second, eid: eid, root: bench.root)
        #expect(accepted.payload.asp.fqdn == "carparkserv.iotregistry.test")
        #expect(accepted.payload.sequence == 2)
        await #expect(throws: DeviceKitError.self) { try await esim.accept(first, eid: eid, root: bench.root) }
        await #expect(throws: DeviceKitError.self) { try await esim.accept(second, eid: eid, root: bench.root) }
    }

    @Test func anotherDevicesOrATamperedPayloadIsRefusedByTheESIM() async throws {
        let bench = try await Bench.make(wifi: false)
        let eid = try await bench.activeDevice(1)
        let other = try await bench.activeDevice(2)
        let esim = try ESIM(root: bench.root)
        let (_, bytes) = try await Self.provision(bench, eid, esim: esim)
        let otherESIM = try ESIM(root: bench.root)
        await #expect(throws: DeviceKitError.self) { try await otherESIM.accept(bytes, eid: other, root: bench.root) }
        var tampered = bytes
        tampered[tampered.count / 2] ^= 0x01
        await #expect(throws: DeviceKitError.self) { try await esim.accept(tampered, eid: eid, root: bench.root) }
        await #expect(throws: DeviceKitError.self) {
            try await esim.accept(Array(bytes.prefix(bytes.count - 10)), eid: eid, root: bench.root)
        }
        let accepted = try await esim.accept(bytes, eid: eid, root: bench.root)
        #expect(accepted.wifiPassphrase == nil)
    }

    @Test(.enabled(if: PeerTool.isAvailable("python3", pythonModules: ["pycose", "cbor2"])))
    func pycoseVerifiesTheRegistrysPayloadAndCbor2DecodesIt() async throws {
        let bench = try await Bench.make()
        let eid = try await bench.activeDevice(1)
        let (_, bytes) = try await Self.provision(bench, eid, esim: try ESIM(root: bench.root))
        let raw = Array(try #require(P256.Signing.PublicKey(bench.signer.key.publicKey)).rawRepresentation)
        let script = """
            import sys, cbor2
            from pycose.messages import Sign1Message
            from pycose.keys import EC2Key
            msg_hex, x, y = sys.stdin.read().split()
            msg = Sign1Message.decode(bytes.fromhex(msg_hex))
            msg.key = EC2Key(crv="P_256", x=bytes.fromhex(x), y=bytes.fromhex(y))
            body = cbor2.loads(msg.payload)
            print("valid" if msg.verify_signature() else "invalid", body[5][1], body[6][1], body[2])
            """
        let input = "\(Self.hex(bytes)) \(Self.hex(raw.prefix(32))) \(Self.hex(raw.suffix(32)))"
        let result = try PeerTool.run("python3", ["-c", script], stdin: Data(input.utf8))
        #expect(result.status == 0, "\(result.output)")
        #expect(
            result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == "valid \(eid.digits) parkoserv.iotregistry.test 1")
        // The same check with another key must fail: the test can fail.
        let other = Array(P256.Signing.PrivateKey().publicKey.rawRepresentation)
        let wrong = "\(Self.hex(bytes)) \(Self.hex(other.prefix(32))) \(Self.hex(other.suffix(32)))"
        let refused = try PeerTool.run("python3", ["-c", script], stdin: Data(wrong.utf8))
        #expect(!refused.stdout.hasPrefix("valid"))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
