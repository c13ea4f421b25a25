import Crypto
public import Foundation

/// A software IoT SAFE applet (GSMA IoT.05) speaking APDUs, with the same guarantees as the real one.
///
/// Why a simulator: the registry story (key generation on the eSIM, CSR signed inside it, payload secrets opened by
/// its ECDH) must run on a laptop and in CI. Private keys live only inside this object and its state file; no API
/// returns them. Containers are fixed at personalisation: GENERATE KEY PAIR replaces the key in an existing
/// container and never creates one; files are written only through ``writeFiles(_:)``, which stands for the MNO's
/// remote file management (ETSI TS 102 226), not an applet APDU.
///
/// Supported: MANAGE CHANNEL (70), SELECT by AID (A4 04), GET DATA (CB), GENERATE KEY PAIR (B9), READ PUBLIC KEY
/// (CD), PUT PUBLIC KEY (24/D8), COMPUTE SIGNATURE (2A/2B, modes 01 full text and 03 pad-and-sign, SHA-256, ECDSA,
/// result raw r‖s in TLV 33), VERIFY SIGNATURE (2C/2D), COMPUTE DH (46, x-coordinate), GET RANDOM (84), READ FILE
/// (B0). Mode 02 (last block with intermediate hash) answers 6A80. Short APDUs only (extended length: 6700).
public final class SimulatedIoTSafeApplet: IoTSafeApplet, IoTSafeFileWriter, @unchecked Sendable {
    /// What survives a reboot: the layout, the private keys (raw scalars, as a secure element stores them), files.
    struct State: Codable {
        var personalisation: IoTSafePersonalisation
        var privateKeys: [UInt8: [UInt8]]
        var files: [UInt8: [UInt8]]

        init(personalisation: IoTSafePersonalisation, privateKeys: [UInt8: [UInt8]], files: [UInt8: [UInt8]]) {
            self.personalisation = personalisation
            self.privateKeys = privateKeys
            self.files = files
        }

        // Byte strings are stored as base64, not as JSON arrays of numbers: a fleet rewrites these files on every
        // key generation and delivery, and number arrays made each write several times slower.
        enum CodingKeys: String, CodingKey { case personalisation, privateKeys, files }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            personalisation = try container.decode(IoTSafePersonalisation.self, forKey: .personalisation)
            privateKeys = try Self.decodeBytes(container, .privateKeys)
            files = try Self.decodeBytes(container, .files)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(personalisation, forKey: .personalisation)
            try container.encode(Self.base64(privateKeys), forKey: .privateKeys)
            try container.encode(Self.base64(files), forKey: .files)
        }

        static func base64(_ map: [UInt8: [UInt8]]) -> [String: String] {
            Dictionary(uniqueKeysWithValues: map.map { (String($0.key), Data($0.value).base64EncodedString()) })
        }

        static func decodeBytes(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws
            -> [UInt8: [UInt8]]
        {
            if let encoded = try? container.decode([String: String].self, forKey: key) {
                var map: [UInt8: [UInt8]] = [:]
                for (id, text) in encoded {
                    guard let id = UInt8(id), let data = Data(base64Encoded: text) else {
                        throw DeviceKitError(.stateFile, "the state file's \(key.rawValue) entry \(id) is damaged")
                    }
                    map[id] = Array(data)
                }
                return map
            }
            return try container.decode([UInt8: [UInt8]].self, forKey: key)  // files written by earlier releases
        }
    }

    /// What a reboot loses: channels, sessions, loaded peer keys.
    struct Volatile {
        var openChannels: Set<UInt8> = [0]
        var selected: Set<UInt8> = []
        var peerKeys: [UInt8: [UInt8]] = [:]
        var pendingPut: (id: UInt8, data: [UInt8])?
        var signSessions: [UInt8: Session] = [:]
        var verifySessions: [UInt8: Session] = [:]
        var remoteAdministrationInProgress = false
    }

    struct Session {
        var keyID: UInt8
        var mode: UInt8
        var data: [UInt8] = []
        var hash: [UInt8]?
        var signature: [UInt8]?
    }

    /// A status word to answer with.
    struct Refusal: Error {
        var sw: IoTSafeStatusWord
        init(_ sw: IoTSafeStatusWord) { self.sw = sw }
    }

    /// Largest message accepted in full-text mode, bytes.
    static let maxSignedData = 8192
    /// Concurrent signature sessions (GET DATA tag B7).
    static let maxSessions: UInt8 = 4

    private let lock = NSLock()
    private var state: State
    private var volatile = Volatile()
    private let stateFile: URL?

    /// Opens (or personalises) an applet.
    ///
    /// - Parameters:
    ///   - personalisation: the container layout, used when there is no state file yet.
    ///   - stateFile: where the applet's persistent state lives (created with mode 0600); nil keeps it in memory.
    ///     An existing file is loaded, so a reboot keeps the device's keys and files.
    /// - Throws: ``DeviceKitError`` `stateFile` when the file exists but cannot be read.
    public init(personalisation: IoTSafePersonalisation = .registryDefault(), stateFile: URL? = nil) throws {
        self.stateFile = stateFile
        if let stateFile, FileManager.default.fileExists(atPath: stateFile.path) {
            state = try Self.load(stateFile)
        } else {
            state = State(personalisation: personalisation, privateKeys: [:], files: [:])
            try save()
        }
    }

    private func save() throws {
        if let stateFile { try saveState(state, to: stateFile) }
    }

    // MARK: - APDU entry point

    public func transmit(_ apdu: [UInt8]) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        do {
            var data = try process(apdu)
            data += [0x90, 0x00]
            return data
        } catch let refusal as Refusal {
            return [UInt8(refusal.sw.rawValue >> 8), UInt8(refusal.sw.rawValue & 0xFF)]
        }
    }

    // MARK: - OTA remote file management

    /// Marks a remote file management session as started: until ``writeFiles(_:)`` ends it, READ FILE answers
    /// 6984 (data invalidated, remote administration in progress), as a real eSIM does while the MNO updates files.
    public func beginRemoteFileManagement() {
        lock.lock()
        defer { lock.unlock() }
        volatile.remoteAdministrationInProgress = true
    }

    /// Writes file containers, all or none, as the MNO's remote file management would (not an applet APDU), and ends
    /// any session begun with ``beginRemoteFileManagement()``.
    ///
    /// - Throws: ``DeviceKitError`` `unknownContainer` or `fileTooLarge`; nothing is written then.
    public func writeFiles(_ files: [UInt8: [UInt8]]) throws {
        lock.lock()
        defer { lock.unlock() }
        defer { volatile.remoteAdministrationInProgress = false }
        for (id, content) in files {
            guard let file = state.personalisation.files.first(where: { $0.id == id }) else {
                throw DeviceKitError(.unknownContainer, "no file container \(id) was personalised on this applet")
            }
            guard content.count <= file.maxSize else {
                throw DeviceKitError(
                    .fileTooLarge,
                    "\(content.count) bytes do not fit file container \(id) '\(file.label)' (max \(file.maxSize))"
                )
            }
        }
        let previous = state.files
        for (id, content) in files { state.files[id] = content }
        do {
            try save()
        } catch {
            state.files = previous
            throw error
        }
    }

    // MARK: - Dispatch

    private func process(_ apdu: [UInt8]) throws -> [UInt8] {
        guard apdu.count >= 4 else { throw Refusal(.wrongLength) }
        let cla = apdu[0]
        let ins = apdu[1]
        let p1 = apdu[2]
        let p2 = apdu[3]
        var data: [UInt8] = []
        var le: Int?
        if apdu.count == 5 {
            le = apdu[4] == 0 ? 256 : Int(apdu[4])
        } else if apdu.count > 5 {
            let lc = Int(apdu[4])
            guard lc > 0 else { throw Refusal(.wrongLength) }
            if apdu.count == 5 + lc {
                data = Array(apdu[5...])
            } else if apdu.count == 6 + lc {
                data = Array(apdu[5..<(5 + lc)])
                le = apdu[5 + lc] == 0 ? 256 : Int(apdu[5 + lc])
            } else {
                throw Refusal(.wrongLength)
            }
        }
        guard cla & 0x7C == 0 else { throw Refusal(.classNotSupported) }
        let channel = cla & 0x03
        guard volatile.openChannels.contains(channel) else { throw Refusal(.classNotSupported) }

        switch ins {
        case 0x70: return try manageChannel(p1: p1, p2: p2, channel: channel)
        case 0xA4: return try select(p1: p1, data: data, channel: channel)
        default: break
        }
        guard volatile.selected.contains(channel) else { throw Refusal(.conditionsNotSatisfied) }
        let tlvs: [IoTSafeTLV]
        if data.isEmpty {
            tlvs = []
        } else if ins == 0x84 {
            throw Refusal(.wrongLength)
        } else {
            guard let parsed = IoTSafeTLV.parse(data) else { throw Refusal(.wrongLength) }
            tlvs = parsed
        }
        switch ins {
        case 0xCB: return try getData(p1: p1, tlvs: tlvs)
        case 0xB9: return try generateKeyPair(p1: p1, p2: p2, tlvs: tlvs)
        case 0xCD: return try readPublicKey(tlvs: tlvs)
        case 0x24: return try putPublicKeyInit(tlvs: tlvs)
        case 0xD8: return try putPublicKeyUpdate(p1: p1, data: data)
        case 0x2A: return try sessionInit(p1: p1, p2: p2, tlvs: tlvs, verify: false)
        case 0x2B: return try signUpdate(p1: p1, p2: p2, tlvs: tlvs)
        case 0x2C: return try sessionInit(p1: p1, p2: p2, tlvs: tlvs, verify: true)
        case 0x2D: return try verifyUpdate(p1: p1, p2: p2, tlvs: tlvs)
        case 0x46: return try computeDH(tlvs: tlvs)
        case 0x84: return try getRandom(p1: p1, p2: p2, le: le)
        case 0xB0: return try readFile(p1: p1, p2: p2, tlvs: tlvs, le: le ?? 256)
        default: throw Refusal(.instructionNotSupported)
        }
    }

    private func manageChannel(p1: UInt8, p2: UInt8, channel: UInt8) throws -> [UInt8] {
        switch p1 {
        case 0x00:
            guard let free = (1...3).map(UInt8.init).first(where: { !volatile.openChannels.contains($0) }) else {
                throw Refusal(.conditionsNotSatisfied)
            }
            volatile.openChannels.insert(free)
            return [free]
        case 0x80:
            guard p2 != 0, volatile.openChannels.contains(p2) else { throw Refusal(.wrongParameters) }
            volatile.openChannels.remove(p2)
            volatile.selected.remove(p2)
            return []
        default:
            throw Refusal(.wrongParameters)
        }
    }

    private func select(p1: UInt8, data: [UInt8], channel: UInt8) throws -> [UInt8] {
        guard p1 == 0x04 else { throw Refusal(.wrongParameters) }
        guard data == state.personalisation.aid else { throw Refusal(.fileNotFound) }
        volatile.selected.insert(channel)
        return []
    }

    // MARK: - Object references

    private enum ObjectClass { case privateKey, publicKey, file }

    /// The container ID named by exactly one of an ID TLV or a label TLV.
    private func reference(_ tlvs: [IoTSafeTLV], _ kind: ObjectClass) throws -> UInt8 {
        let (idTag, labelTag): (UInt8, UInt8) =
            switch kind {
            case .privateKey: (0x84, 0x74)
            case .publicKey: (0x85, 0x75)
            case .file: (0x83, 0x73)
            }
        let id = tlvs.first(idTag)
        let label = tlvs.first(labelTag)
        let p = state.personalisation
        switch (id, label) {
        case (let id?, nil):
            guard id.count == 1 else { throw Refusal(.referencedDataNotFound) }
            return id[0]
        case (nil, let label?):
            let name = String(decoding: label, as: UTF8.self)
            let match: UInt8? =
                switch kind {
                case .privateKey: p.keyPairs.first { $0.label == name }?.id
                case .publicKey:
                    p.keyPairs.first { $0.label == name }?.id ?? p.publicKeySlots.first { $0.label == name }?.id
                case .file: p.files.first { $0.label == name }?.id
                }
            guard let match else { throw Refusal(.referencedDataNotFound) }
            return match
        default:
            throw Refusal(.incorrectData)  // neither, or both (IoT SAFE: ID xor label)
        }
    }

    private func keyPair(_ id: UInt8) throws -> IoTSafePersonalisation.KeyPair {
        guard let pair = state.personalisation.keyPairs.first(where: { $0.id == id }) else {
            throw Refusal(.referencedDataNotFound)
        }
        return pair
    }

    /// The uncompressed public key in container `id` (a key pair's or a loaded peer's).
    private func publicKey(_ id: UInt8) throws -> [UInt8] {
        if let pair = state.personalisation.keyPairs.first(where: { $0.id == id }) {
            guard let raw = state.privateKeys[pair.id] else { throw Refusal(.conditionsNotSatisfied) }
            return try Self.publicKey(raw: raw, role: pair.role)
        }
        guard state.personalisation.publicKeySlots.contains(where: { $0.id == id }) else {
            throw Refusal(.referencedDataNotFound)
        }
        guard let key = volatile.peerKeys[id] else { throw Refusal(.conditionsNotSatisfied) }
        return key
    }

    private static func publicKey(raw: [UInt8], role: IoTSafePersonalisation.KeyRole) throws -> [UInt8] {
        do {
            switch role {
            case .signature:
                return Array(try P256.Signing.PrivateKey(rawRepresentation: raw).publicKey.x963Representation)
            case .keyAgreement:
                return Array(try P256.KeyAgreement.PrivateKey(rawRepresentation: raw).publicKey.x963Representation)
            }
        } catch {
            throw Refusal(.unknown)
        }
    }

    static func publicKeyData(_ x963: [UInt8]) -> IoTSafeTLV {
        IoTSafeTLV(0x34, IoTSafeTLV(0x49, IoTSafeTLV(0x86, x963).encoded).encoded)
    }

    // MARK: - Commands

    private func getData(p1: UInt8, tlvs: [IoTSafeTLV]) throws -> [UInt8] {
        let p = state.personalisation
        switch p1 {
        case 0x00:
            return [
                IoTSafeTLV(0x10, [0x01, 0x00]), IoTSafeTLV(0x11, Array("iotreg-sim".utf8)),
                IoTSafeTLV(0xB1, [UInt8(truncatingIfNeeded: p.files.count)]),
                IoTSafeTLV(0xB2, [UInt8(truncatingIfNeeded: p.keyPairs.count)]),
                IoTSafeTLV(0xB3, [UInt8(truncatingIfNeeded: p.keyPairs.count + p.publicKeySlots.count)]),
                IoTSafeTLV(0xB4, [0x00]), IoTSafeTLV(0x90, [0x07]), IoTSafeTLV(0x91, [0x01]), IoTSafeTLV(0x92, [0x04]),
                IoTSafeTLV(0x93, [0x01]), IoTSafeTLV(0x94, [0x00]), IoTSafeTLV(0xB7, [Self.maxSessions]),
            ].encoded
        case 0x01:
            var list: [IoTSafeTLV] = []
            list += p.keyPairs.map { IoTSafeTLV(0xC1, privateKeyTemplate($0)) }
            list += p.keyPairs.map { IoTSafeTLV(0xC2, publicKeyTemplate(id: $0.id, label: $0.label)) }
            list += p.publicKeySlots.map { IoTSafeTLV(0xC2, publicKeyTemplate(id: $0.id, label: $0.label)) }
            list += p.files.map { IoTSafeTLV(0xC3, fileTemplate($0)) }
            return list.encoded
        case 0xC1:
            return privateKeyTemplate(try keyPair(try reference(tlvs, .privateKey)))
        case 0xC2:
            let id = try reference(tlvs, .publicKey)
            if let pair = p.keyPairs.first(where: { $0.id == id }) {
                return publicKeyTemplate(id: id, label: pair.label)
            }
            guard let slot = p.publicKeySlots.first(where: { $0.id == id }) else {
                throw Refusal(.referencedDataNotFound)
            }
            return publicKeyTemplate(id: id, label: slot.label)
        case 0xC3:
            let id = try reference(tlvs, .file)
            guard let file = p.files.first(where: { $0.id == id }) else { throw Refusal(.referencedDataNotFound) }
            return fileTemplate(file)
        default:
            throw Refusal(.wrongParameters)
        }
    }

    private func privateKeyTemplate(_ pair: IoTSafePersonalisation.KeyPair) -> [UInt8] {
        let functions: UInt8 = pair.role == .signature ? 0x03 : 0x06  // sign+keygen / keygen+key agreement
        return [
            IoTSafeTLV(0x74, Array(pair.label.utf8)), IoTSafeTLV(0x84, [pair.id]), IoTSafeTLV(0x60, [0x00]),
            IoTSafeTLV(0x4A, [state.privateKeys[pair.id] == nil ? 0x00 : 0x01]), IoTSafeTLV(0x4B, [0x13]),
            IoTSafeTLV(0x4E, [pair.usage]), IoTSafeTLV(0x61, [functions]),
        ].encoded
    }

    private func publicKeyTemplate(id: UInt8, label: String) -> [UInt8] {
        let filled = (try? publicKey(id)) != nil
        return [
            IoTSafeTLV(0x75, Array(label.utf8)), IoTSafeTLV(0x85, [id]), IoTSafeTLV(0x60, [0x01]),
            IoTSafeTLV(0x4A, [filled ? 0x01 : 0x00]), IoTSafeTLV(0x4B, [0x13]),
        ].encoded
    }

    private func fileTemplate(_ file: IoTSafePersonalisation.File) -> [UInt8] {
        let size = state.files[file.id]?.count ?? 0
        return [
            IoTSafeTLV(0x73, Array(file.label.utf8)), IoTSafeTLV(0x83, [file.id]), IoTSafeTLV(0x60, [0x01]),
            IoTSafeTLV(0x4A, [size == 0 ? 0x00 : 0x01]), IoTSafeTLV(0x21, [file.usage]),
            IoTSafeTLV(0x20, [UInt8(truncatingIfNeeded: size >> 8), UInt8(truncatingIfNeeded: size)]),
        ].encoded
    }

    private func generateKeyPair(p1: UInt8, p2: UInt8, tlvs: [IoTSafeTLV]) throws -> [UInt8] {
        guard p1 == 0, p2 == 0 else { throw Refusal(.wrongParameters) }
        let pair = try keyPair(try reference(tlvs, .privateKey))
        let raw: [UInt8] =
            switch pair.role {
            case .signature: Array(P256.Signing.PrivateKey().rawRepresentation)
            case .keyAgreement: Array(P256.KeyAgreement.PrivateKey().rawRepresentation)
            }
        let previous = state.privateKeys[pair.id]
        state.privateKeys[pair.id] = raw
        do {
            try save()
        } catch {
            state.privateKeys[pair.id] = previous
            throw Refusal(.unknown)
        }
        // A new key ends every session that used the old one.
        volatile.signSessions = volatile.signSessions.filter { $0.value.keyID != pair.id }
        let pub = try Self.publicKey(raw: raw, role: pair.role)
        return [IoTSafeTLV(0x84, [pair.id]), IoTSafeTLV(0x85, [pair.id]), Self.publicKeyData(pub)].encoded
    }

    private func readPublicKey(tlvs: [IoTSafeTLV]) throws -> [UInt8] {
        Self.publicKeyData(try publicKey(try reference(tlvs, .publicKey))).encoded
    }

    private func putPublicKeyInit(tlvs: [IoTSafeTLV]) throws -> [UInt8] {
        let id = try reference(tlvs, .publicKey)
        guard state.personalisation.publicKeySlots.contains(where: { $0.id == id }) else {
            // A key pair's public half is written only by GENERATE KEY PAIR.
            if state.personalisation.keyPairs.contains(where: { $0.id == id }) {
                throw Refusal(.securityStatusNotSatisfied)
            }
            throw Refusal(.referencedDataNotFound)
        }
        volatile.pendingPut = (id, [])
        return []
    }

    private func putPublicKeyUpdate(p1: UInt8, data: [UInt8]) throws -> [UInt8] {
        guard var pending = volatile.pendingPut else { throw Refusal(.conditionsNotSatisfied) }
        guard p1 == 0x00 || p1 == 0x80 else { throw Refusal(.wrongParameters) }
        pending.data += data
        guard pending.data.count <= 512 else {
            volatile.pendingPut = nil
            throw Refusal(.notEnoughMemory)
        }
        guard p1 == 0x80 else {
            volatile.pendingPut = pending
            return []
        }
        volatile.pendingPut = nil
        guard let outer = IoTSafeTLV.parse(pending.data)?.first(0x34),
            let template = IoTSafeTLV.parse(outer)?.first(0x49),
            let point = IoTSafeTLV.parse(template)?.first(0x86),
            (try? P256.KeyAgreement.PublicKey(x963Representation: point)) != nil
        else { throw Refusal(.incorrectData) }
        volatile.peerKeys[pending.id] = point
        return []
    }

    private func sessionInit(p1: UInt8, p2: UInt8, tlvs: [IoTSafeTLV], verify: Bool) throws -> [UInt8] {
        guard p2 < Self.maxSessions else { throw Refusal(.wrongParameters) }
        switch p1 {
        case 0x01:
            if verify { volatile.verifySessions[p2] = nil } else { volatile.signSessions[p2] = nil }
            return []
        case 0x00:
            break
        default:
            throw Refusal(.wrongParameters)
        }
        let keyID: UInt8
        if verify {
            keyID = try reference(tlvs, .publicKey)
            _ = try publicKey(keyID)
        } else {
            keyID = try reference(tlvs, .privateKey)
            let pair = try keyPair(keyID)
            guard pair.role == .signature else { throw Refusal(.conditionsNotSatisfied) }
            guard state.privateKeys[keyID] != nil else { throw Refusal(.conditionsNotSatisfied) }
        }
        guard let mode = tlvs.first(0xA1), mode.count == 1 else { throw Refusal(.incorrectData) }
        guard mode[0] == 0x01 || mode[0] == 0x03 else { throw Refusal(.incorrectData) }
        // Hash 91: 1 byte (Orange) or 2 bytes (Thales/CIRA), SHA-256 = bit 01. Signature 92: ECDSA = bit 04.
        guard let hash = tlvs.first(0x91), hash.last == 0x01, hash.count <= 2 else { throw Refusal(.incorrectData) }
        guard tlvs.first(0x92) == [0x04] else { throw Refusal(.incorrectData) }
        let session = Session(keyID: keyID, mode: mode[0])
        if verify { volatile.verifySessions[p2] = session } else { volatile.signSessions[p2] = session }
        return []
    }

    /// Accumulates one update of a signature or verification session; returns the digest on the last one.
    private func accumulate(_ session: inout Session, p1: UInt8, tlvs: [IoTSafeTLV]) throws -> [UInt8]? {
        guard p1 == 0x00 || p1 == 0x80 else { throw Refusal(.wrongParameters) }
        if let signature = tlvs.first(0x33) { session.signature = signature }
        switch session.mode {
        case 0x01:
            if let chunk = tlvs.first(0x9B) { session.data += chunk }
            guard session.data.count <= Self.maxSignedData else { throw Refusal(.notEnoughMemory) }
        default:
            if let hash = tlvs.first(0x9E) {
                guard hash.count == 32 else { throw Refusal(.wrongLength) }
                session.hash = hash
            }
        }
        guard p1 == 0x80 else { return nil }
        if session.mode == 0x01 { return Array(SHA256.hash(data: session.data)) }
        guard let hash = session.hash else { throw Refusal(.incorrectData) }
        return hash
    }

    private func signUpdate(p1: UInt8, p2: UInt8, tlvs: [IoTSafeTLV]) throws -> [UInt8] {
        guard var session = volatile.signSessions[p2] else { throw Refusal(.conditionsNotSatisfied) }
        let digest: [UInt8]?
        do {
            digest = try accumulate(&session, p1: p1, tlvs: tlvs)
        } catch {
            volatile.signSessions[p2] = nil
            throw error
        }
        guard let digest else {
            volatile.signSessions[p2] = session
            return []
        }
        volatile.signSessions[p2] = nil
        guard let raw = state.privateKeys[session.keyID], let prehashed = PrehashedSHA256(digest),
            let key = try? P256.Signing.PrivateKey(rawRepresentation: raw),
            let signature = try? key.signature(for: prehashed)
        else { throw Refusal(.unknown) }
        return IoTSafeTLV(0x33, Array(signature.rawRepresentation)).encoded
    }

    private func verifyUpdate(p1: UInt8, p2: UInt8, tlvs: [IoTSafeTLV]) throws -> [UInt8] {
        guard var session = volatile.verifySessions[p2] else { throw Refusal(.conditionsNotSatisfied) }
        let digest: [UInt8]?
        do {
            digest = try accumulate(&session, p1: p1, tlvs: tlvs)
        } catch {
            volatile.verifySessions[p2] = nil
            throw error
        }
        guard let digest else {
            volatile.verifySessions[p2] = session
            return []
        }
        volatile.verifySessions[p2] = nil
        guard let signature = session.signature else { throw Refusal(.incorrectData) }
        guard let prehashed = PrehashedSHA256(digest),
            let key = try? P256.Signing.PublicKey(x963Representation: try publicKey(session.keyID)),
            let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature),
            key.isValidSignature(ecdsa, for: prehashed)
        else { throw Refusal(.signatureMismatch) }
        return []
    }

    private func computeDH(tlvs: [IoTSafeTLV]) throws -> [UInt8] {
        let pair = try keyPair(try reference(tlvs, .privateKey))
        guard pair.role == .keyAgreement, let raw = state.privateKeys[pair.id] else {
            throw Refusal(.conditionsNotSatisfied)
        }
        let peer = try publicKey(try reference(tlvs, .publicKey))
        guard let privateKey = try? P256.KeyAgreement.PrivateKey(rawRepresentation: raw),
            let peerKey = try? P256.KeyAgreement.PublicKey(x963Representation: peer),
            let secret = try? privateKey.sharedSecretFromKeyAgreement(with: peerKey)
        else { throw Refusal(.incorrectData) }
        return secret.withUnsafeBytes { Array($0) }
    }

    private func getRandom(p1: UInt8, p2: UInt8, le: Int?) throws -> [UInt8] {
        guard p1 == 0, p2 == 0 else { throw Refusal(.wrongParameters) }
        guard let le else { throw Refusal(.wrongLength) }
        var rng = SystemRandomNumberGenerator()
        return (0..<le).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    private func readFile(p1: UInt8, p2: UInt8, tlvs: [IoTSafeTLV], le: Int) throws -> [UInt8] {
        guard p1 & 0x80 == 0 else { throw Refusal(.wrongParameters) }
        guard !volatile.remoteAdministrationInProgress else { throw Refusal(.remoteAdminInProgress) }
        let id = try reference(tlvs, .file)
        guard state.personalisation.files.contains(where: { $0.id == id }) else {
            throw Refusal(.referencedDataNotFound)
        }
        let content = state.files[id] ?? []
        let offset = Int(p1) << 8 | Int(p2)
        guard offset <= content.count else { throw Refusal(.wrongParameters) }
        return Array(content[offset..<min(content.count, offset + le)])
    }
}
