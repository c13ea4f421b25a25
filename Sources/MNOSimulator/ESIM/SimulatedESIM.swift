public import DeviceKit
public import Foundation
import Payload
import SwiftASN1
public import X509

/// One device's eSIM as the MNO sees it: an IoT SAFE applet reached over APDUs, persisted in one small file.
///
/// Why an actor: the MNO drives many eSIMs at once, but one eSIM does one thing at a time (a CSR and a payload
/// delivery for the same device must not interleave), exactly as a card answers one APDU after another.
///
/// Everything goes through ``IoTSafeClient`` APDUs (GENERATE KEY PAIR, READ PUBLIC KEY, COMPUTE SIGNATURE, COMPUTE
/// DH, READ FILE) or, for writes, through the applet's remote file management, which is the MNO's own OTA path. No
/// API returns a private key: they never leave the applet.
///
/// Key containers: 1 and 2 are signature keys, 3 the key-agreement key. The *active* signature container is the
/// one whose key the client certificate in file 2 names; a re-key generates into the other one, so the current
/// identity keeps working until a payload naming the new key is accepted.
public actor SimulatedESIM {
    /// The eUICC identifier: 32 decimal digits.
    public nonisolated let eid: String
    /// The registry root certificate the eSIM was personalised with (the anchor of every payload check).
    public nonisolated let registryRoot: Certificate
    /// Where this eSIM's state lives.
    public nonisolated let stateFile: URL

    let applet: SimulatedIoTSafeApplet
    let client: IoTSafeClient
    let verifier: PayloadVerifier

    typealias FileID = IoTSafePersonalisation.FileID

    /// File container 0x21: the certificate for the newly generated key, held until a payload names that key.
    public static let pendingCertificateFileID: UInt8 = 0x21

    /// The layout eSIMs of this MNO are personalised with: the registry default (two signature containers, one
    /// key-agreement container, the seed's files, the payload file) plus the pending-certificate file.
    public static let personalisation: IoTSafePersonalisation = {
        var layout = IoTSafePersonalisation.registryDefault()
        layout.files.append(
            .init(id: pendingCertificateFileID, label: "next-client-cert", maxSize: 2048, usage: 0x02)
        )
        return layout
    }()

    /// The state file of eSIM `eid` in `directory`: `<eid>.iotsafe`.
    public static func stateFile(eid: String, in directory: URL) -> URL {
        directory.appendingPathComponent("\(eid).iotsafe")
    }

    /// Personalises a new eSIM, as the card factory does: the applet's containers, and the registry root in file 6.
    ///
    /// - Throws: ``MNOSimulatorError`` `invalidEID` or `duplicateDevice` (a state file exists: load it instead).
    public init(personalising eid: String, registryRoot: Certificate, directory: URL) throws {
        try Self.checkEID(eid)
        let file = Self.stateFile(eid: eid, in: directory)
        guard !FileManager.default.fileExists(atPath: file.path) else {
            throw MNOSimulatorError(.duplicateDevice, "eSIM \(eid) is already personalised in \(directory.path)")
        }
        let applet = try SimulatedIoTSafeApplet(personalisation: Self.personalisation, stateFile: file)
        var serializer = DER.Serializer()
        try serializer.serialize(registryRoot)
        try applet.writeFiles([FileID.rootCertificate: serializer.serializedBytes])
        try self.init(eid: eid, applet: applet, registryRoot: registryRoot, stateFile: file)
    }

    /// Loads a personalised eSIM from its state file: a reboot keeps its keys, certificates and payload.
    ///
    /// - Throws: ``MNOSimulatorError`` `unknownDevice` when there is no state file; `DeviceKitError` `stateFile`
    ///   when it is unreadable.
    public init(loading eid: String, directory: URL) throws {
        try Self.checkEID(eid)
        let file = Self.stateFile(eid: eid, in: directory)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw MNOSimulatorError(.unknownDevice, "no eSIM \(eid) in \(directory.path); personalise it first")
        }
        let applet = try SimulatedIoTSafeApplet(stateFile: file)
        let client = try IoTSafeClient(applet: applet)
        let rootDER = try client.readFile(FileID.rootCertificate)
        try? client.close()
        let root: Certificate
        do {
            root = try Certificate(derEncoded: rootDER)
        } catch {
            throw MNOSimulatorError(
                .stateDirectory, "eSIM \(eid) holds no registry root in file 6; re-personalise it")
        }
        try self.init(eid: eid, applet: applet, registryRoot: root, stateFile: file)
    }

    private init(eid: String, applet: SimulatedIoTSafeApplet, registryRoot: Certificate, stateFile: URL) throws {
        self.eid = eid
        self.applet = applet
        self.registryRoot = registryRoot
        self.stateFile = stateFile
        self.client = try IoTSafeClient(applet: applet)
        self.verifier = PayloadVerifier(eid: eid, registryRoot: registryRoot)
    }

    static func checkEID(_ eid: String) throws {
        guard eid.utf8.count == 32, eid.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw MNOSimulatorError(.invalidEID, "an EID is 32 decimal digits, got '\(eid.prefix(40))'")
        }
    }
}
