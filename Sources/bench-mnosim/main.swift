// The MNO side end to end: N simulated eSIMs go from "no key" to "verified payload held" through SimulatedMNO and an
// in-memory registry channel (CA issuing from the CSR, payload built, signed and sealed) — so the figure is what the
// simulator costs, without HTTP or a database. Prints `name value` lines; bench/mnosim.sh puts them beside
// `openssl speed` in the same run.
//
// Per device: eSIM key generations 2 (signature, key agreement), CSR 2 signatures (placeholder + real) and 1 verify;
// registry: CSR verify, certificate signature, HPKE seal (key generation + ECDH), COSE signature; eSIM delivery:
// payload signer chain (2 verifies), COSE verify, device certificate chain (2 verifies), HPKE open (ECDH).
import Crypto
import DeviceKit
import Foundation
import MNOSimulator
import PKI
import Payload
import SwiftASN1
import X509

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
let deviceCount = option("--devices").flatMap(Int.init) ?? 1000
let concurrency = option("--concurrency").flatMap(Int.init) ?? 32

func der(_ certificate: Certificate) throws -> [UInt8] {
    var serializer = DER.Serializer()
    try serializer.serialize(certificate)
    return serializer.serializedBytes
}

/// The registry in memory: hands out each task once, issues on a CSR, then queues the payload delivery.
actor InMemoryRegistry: MNOTaskChannel {
    let issuing: CertificateAuthority
    let rootDER: [UInt8]
    let issuingDER: [UInt8]
    let payloadKey = P256.Signing.PrivateKey()
    let signerChain: [[UInt8]]
    let urls: PublicationURLs
    var queue: [MNOTask] = []
    var payloads: [String: [UInt8]] = [:]
    var nextID = 0

    init(root: CertificateAuthority, issuing: CertificateAuthority) throws {
        self.issuing = issuing
        rootDER = try der(root.certificate)
        issuingDER = try der(issuing.certificate)
        let signer = try issuing.issue(
            subject: try DistinguishedName { CommonName("payload signer") }, publicKey: .init(payloadKey.publicKey),
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
            }, notBefore: Date() - 300, notAfter: Date() + 86400)
        signerChain = [try der(signer), issuingDER]
        urls = try PublicationURLs(base: "http://registry.test")
    }

    func enqueue(_ kind: MNOTask.Kind, eid: String, sequence: UInt64? = nil) {
        nextID += 1
        queue.append(MNOTask(id: "t\(nextID)", kind: kind, eid: eid, payloadSequence: sequence))
    }

    func fetchTasks(limit: Int, wait: Int) async throws -> MNOTaskPage {
        let deadline = ContinuousClock.now + .seconds(wait)
        while queue.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        let items = Array(queue.prefix(limit))
        queue.removeFirst(items.count)
        return MNOTaskPage(items: items)
    }

    func postResult(taskID: String, _ result: MNOTaskResult) async throws -> MNOTaskReceipt {
        let task = MNOTask(id: taskID, kind: .generateKey, eid: "", state: .succeeded)
        guard case .csr(let pem, let keyAgreement) = result else { return MNOTaskReceipt(task: task) }
        guard let eid = pendingEID(taskID) else { return MNOTaskReceipt(task: task) }
        let csr = try ValidatedCSR(pemOrDER: Array(pem.utf8))
        let certificate = try DeviceCertificateProfile(
            publicKey: csr.publicKey, rpid: 1, eid: eid, zone: "iotregistry.test", urls: urls
        ).issue(by: issuing)
        let payload = RegistryPayload(
            sequence: 1, issuedAt: Date() - 60, notAfter: Date() + 86400 * 30,
            device: .init(
                eid: eid, rpid: 1, dnsName: "\(eid)._device.iotregistry.test.", certificate: try der(certificate),
                issuingCA: issuingDER),
            asp: .init(
                fqdn: "mqtt.parkoserv.test", port: 8883, url: "mqtts://mqtt.parkoserv.test:8883", protocol: "mqtts",
                certificate: signerChain[0]),
            registryRoot: rootDER,
            resolver: .init(
                address: "192.0.2.53", authenticationName: "dot.iotregistry.test",
                spkiSHA256: Array(repeating: 1, count: 32)),
            trustAnchors: DNSTrustAnchor.ianaRoot,
            wifi: try .seal(
                ssid: "city", passphrase: "correct horse battery",
                to: try P256.KeyAgreement.PublicKey(x963Representation: keyAgreement), eid: eid)
        )
        payloads[eid] = try payload.signed(
            by: P256COSESigner(privateKey: payloadKey), keyID: [1, 2, 3, 4], certificateChain: signerChain)
        enqueue(.deliverPayload, eid: eid, sequence: 1)
        return MNOTaskReceipt(task: task, certificate: try certificate.serializeAsPEM().pemString)
    }

    var taskEIDs: [String: String] = [:]
    func pendingEID(_ taskID: String) -> String? { taskEIDs[taskID] }

    func enqueueKey(eid: String) {
        enqueue(.generateKey, eid: eid)
        taskEIDs["t\(nextID)"] = eid
    }

    func fetchPayload(eid: String) async throws -> [UInt8] {
        guard let payload = payloads[eid] else { throw MNOSimulatorError(.notFound, "no payload") }
        return payload
    }

    func reportStatus(eid: String, status: EUICCStatus) async throws {}
}

/// CPU time of the whole process (all threads), seconds.
func processCPUSeconds() -> Double { Double(clock()) / Double(CLOCKS_PER_SEC) }

let keys = InMemoryKeyStore()
let root = try CertificateAuthority.createRoot(
    subject: try DistinguishedName { CommonName("bench root") }, keyStore: keys, label: "root")
let issuing = try root.createIntermediate(
    subject: try DistinguishedName { CommonName("bench issuing") }, keyStore: keys, label: "issuing")
let registry = try InMemoryRegistry(root: root, issuing: issuing)
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-mnosim-\(UUID().uuidString)")
defer { try? FileManager.default.removeItem(at: directory) }
let mno = try SimulatedMNO(
    channel: registry, directory: directory, registryRoot: root.certificate,
    configuration: .init(concurrency: concurrency, longPollSeconds: 1, reportOnline: false))
let eids = (1...deviceCount).map { n in
    let digits = String(n)
    return "8904903200000000000000" + String(repeating: "0", count: 10 - digits.count) + digits
}
let personaliseStart = ContinuousClock.now
try await mno.addDevices(eids)
let personalised = ContinuousClock.now - personaliseStart
for eid in eids { await registry.enqueueKey(eid: eid) }
let cpuStart = processCPUSeconds()
let start = ContinuousClock.now
await mno.start()
let stats = try await mno.until(timeout: .seconds(3600)) { $0.succeeded(.deliverPayload) >= deviceCount }
let elapsed = ContinuousClock.now - start
let cpu = processCPUSeconds() - cpuStart
await mno.stop()
// Spot check: every eSIM holds a verified payload naming it.
var verified = 0
for eid in eids.prefix(50) {
    if let payload = try await mno.device(eid)?.currentPayload(), payload.device.eid == eid { verified += 1 }
}
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
let personaliseSeconds =
    Double(personalised.components.seconds) + Double(personalised.components.attoseconds) * 1e-18
print("devices \(deviceCount)")
print("concurrency \(concurrency)")
print("cores \(ProcessInfo.processInfo.activeProcessorCount)")
print("personalise_seconds \(personaliseSeconds)")
print("activation_wall_seconds \(seconds)")
print("activation_cpu_seconds \(cpu)")
print("devices_per_sec \(Double(deviceCount) / seconds)")
print("devices_per_cpu_sec \(Double(deviceCount) / cpu)")
print("failed \(stats.failed.values.reduce(0, +))")
print("spot_checked_verified \(verified)")

// Component: one write of an eSIM's state file (DeviceKit persists the whole applet state on every key generation
// and file write), with an activated eSIM's contents, no crypto.
if let sample = await mno.device(eids[0]) {
    var files: [UInt8: [UInt8]] = [:]
    for file in SimulatedESIM.personalisation.files {
        if let content = try? await sample.readFile(file.id), !content.isEmpty { files[file.id] = content }
    }
    let file = directory.appendingPathComponent("state-write-probe.iotsafe")
    let applet = try SimulatedIoTSafeApplet(personalisation: SimulatedESIM.personalisation, stateFile: file)
    let writes = 200
    let cpuBefore = processCPUSeconds()
    let wallBefore = ContinuousClock.now
    for _ in 0..<writes { try applet.writeFiles(files) }
    let wall = ContinuousClock.now - wallBefore
    let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18
    print("state_write_ms_wall \(wallSeconds * 1000 / Double(writes))")
    print("state_write_ms_cpu \((processCPUSeconds() - cpuBefore) * 1000 / Double(writes))")
    print("state_file_bytes \((try? Data(contentsOf: file).count) ?? 0)")
}
