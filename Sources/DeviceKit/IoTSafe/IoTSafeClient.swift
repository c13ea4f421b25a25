public import Crypto

/// The host-side middleware that speaks IoT SAFE APDUs to an applet (GSMA IoT.04 API, in Swift).
///
/// Every operation is one or a few APDUs on the channel this client opened; a status word other than 9000 becomes a
/// ``DeviceKitError`` with code `statusWord` and the word in ``DeviceKitError/statusWord``.
public struct IoTSafeClient: Sendable {
    /// The applet this client talks to.
    public let applet: any IoTSafeApplet
    /// The logical channel (CLA low bits) the applet is selected on.
    public let channel: UInt8

    /// Opens a logical channel and selects the applet on it (`00 70 00 00 01`, then `0n A4 04 00 <AID>`).
    ///
    /// - Throws: ``DeviceKitError`` `statusWord` (6A82 when no applet has that AID).
    public init(applet: any IoTSafeApplet, aid: [UInt8] = IoTSafePersonalisation.gsmaAID) throws {
        let opened = try Self.send(applet, [0x00, 0x70, 0x00, 0x00, 0x01])
        guard opened.count == 1 else {
            throw DeviceKitError(.malformedResponse, "MANAGE CHANNEL answered \(opened.count) bytes, expected 1")
        }
        self.applet = applet
        self.channel = opened[0]
        _ = try command(0xA4, p1: 0x04, data: aid)
    }

    /// Closes the logical channel (`00 70 80 0n`).
    public func close() throws {
        _ = try Self.send(applet, [0x00, 0x70, 0x80, channel])
    }

    // MARK: - Keys

    /// GENERATE KEY PAIR (B9) in the existing container `id`, replacing its key; returns the new public key.
    public func generateKeyPair(in id: UInt8) throws -> [UInt8] {
        let response = try tlvs(try command(0xB9, data: IoTSafeTLV(0x84, [id]).encoded))
        return try Self.point(response)
    }

    /// READ PUBLIC KEY (CD) of container `id`: the uncompressed P-256 point (65 bytes).
    public func readPublicKey(_ id: UInt8) throws -> [UInt8] {
        try Self.point(try tlvs(try command(0xCD, data: IoTSafeTLV(0x85, [id]).encoded)))
    }

    /// The signing public key of container `id`.
    public func signingPublicKey(_ id: UInt8 = IoTSafePersonalisation.clientKeyID) throws -> P256.Signing.PublicKey {
        do {
            return try P256.Signing.PublicKey(x963Representation: try readPublicKey(id))
        } catch let error as DeviceKitError {
            throw error
        } catch {
            throw DeviceKitError(.malformedResponse, "container \(id) holds no valid P-256 public key")
        }
    }

    /// PUT PUBLIC KEY (24, then D8 in 255-byte pieces) into the loadable container `id`.
    public func putPublicKey(_ x963: [UInt8], into id: UInt8 = IoTSafePersonalisation.peerPublicKeyID) throws {
        _ = try command(0x24, data: IoTSafeTLV(0x85, [id]).encoded)
        let data = SimulatedIoTSafeApplet.publicKeyData(x963).encoded
        var offset = 0
        repeat {
            let end = min(data.count, offset + 255)
            _ = try command(0xD8, p1: end == data.count ? 0x80 : 0x00, data: Array(data[offset..<end]))
            offset = end
        } while offset < data.count
    }

    // MARK: - Signatures

    /// Signs a SHA-256 `digest` computed by the host (COMPUTE SIGNATURE mode 03, pad-and-sign); returns raw r‖s.
    public func sign(digest: [UInt8], with keyID: UInt8 = IoTSafePersonalisation.clientKeyID, session: UInt8 = 0)
        throws -> [UInt8]
    {
        _ = try command(0x2A, p1: 0x00, p2: session, data: Self.sessionTLVs(keyTag: 0x84, keyID: keyID, mode: 0x03))
        let response = try command(0x2B, p1: 0x80, p2: session, data: IoTSafeTLV(0x9E, digest).encoded)
        return try Self.signature(response)
    }

    /// Signs `message` hashed inside the applet (mode 01, full text, sent in 128-byte 9B pieces); returns raw r‖s.
    public func sign(message: [UInt8], with keyID: UInt8 = IoTSafePersonalisation.clientKeyID, session: UInt8 = 0)
        throws -> [UInt8]
    {
        _ = try command(0x2A, p1: 0x00, p2: session, data: Self.sessionTLVs(keyTag: 0x84, keyID: keyID, mode: 0x01))
        var offset = 0
        while true {
            let end = min(message.count, offset + 128)
            let last = end == message.count
            let response = try command(
                0x2B,
                p1: last ? 0x80 : 0x00,
                p2: session,
                data: IoTSafeTLV(0x9B, Array(message[offset..<end])).encoded
            )
            if last { return try Self.signature(response) }
            offset = end
        }
    }

    /// VERIFY SIGNATURE (2C/2D, mode 03) of raw r‖s over `digest` with public key container `id`.
    ///
    /// - Throws: ``DeviceKitError`` `statusWord` 6D01 when the signature does not match.
    public func verify(signature: [UInt8], digest: [UInt8], with id: UInt8) throws {
        _ = try command(0x2C, p1: 0x00, data: Self.sessionTLVs(keyTag: 0x85, keyID: id, mode: 0x03))
        _ = try command(0x2D, p1: 0x80, data: [IoTSafeTLV(0x9E, digest), IoTSafeTLV(0x33, signature)].encoded)
    }

    // MARK: - Key agreement, random, files

    /// COMPUTE DH (46) between private container `privateKeyID` and public container `publicKeyID`: the x-coordinate.
    public func computeDH(privateKeyID: UInt8, publicKeyID: UInt8) throws -> [UInt8] {
        try command(0x46, data: [IoTSafeTLV(0x84, [privateKeyID]), IoTSafeTLV(0x85, [publicKeyID])].encoded)
    }

    /// GET RANDOM (84): `count` (1...256) random bytes from the applet.
    public func random(_ count: Int) throws -> [UInt8] {
        guard (1...256).contains(count) else {
            throw DeviceKitError(.malformedResponse, "GET RANDOM takes 1...256 bytes, asked for \(count)")
        }
        return try command(0x84, le: UInt8(truncatingIfNeeded: count))
    }

    /// The content length of file container `id` (GET DATA C3, tag 20).
    public func fileSize(_ id: UInt8) throws -> Int {
        let template = try tlvs(try command(0xCB, p1: 0xC3, data: IoTSafeTLV(0x83, [id]).encoded))
        guard let size = template.first(0x20), size.count == 2 else {
            throw DeviceKitError(.malformedResponse, "GET DATA for file \(id) lacks its size (tag 20)")
        }
        return Int(size[0]) << 8 | Int(size[1])
    }

    /// READ FILE (B0) of the whole file container `id`, in 256-byte chunks.
    public func readFile(_ id: UInt8) throws -> [UInt8] {
        let size = try fileSize(id)
        var content: [UInt8] = []
        while content.count < size {
            let chunk = try command(
                0xB0,
                p1: UInt8(truncatingIfNeeded: content.count >> 8),
                p2: UInt8(truncatingIfNeeded: content.count),
                data: IoTSafeTLV(0x83, [id]).encoded,
                le: 0
            )
            guard !chunk.isEmpty else { break }
            content += chunk
        }
        return Array(content.prefix(size))
    }

    // MARK: - APDU plumbing

    /// Sends one command on this client's channel and returns its data, throwing on a status word other than 9000.
    func command(_ ins: UInt8, p1: UInt8 = 0, p2: UInt8 = 0, data: [UInt8] = [], le: UInt8? = nil) throws -> [UInt8] {
        var apdu: [UInt8] = [channel, ins, p1, p2]
        if !data.isEmpty {
            apdu.append(UInt8(truncatingIfNeeded: data.count))
            apdu += data
        }
        if let le { apdu.append(le) }
        return try Self.send(applet, apdu)
    }

    static func send(_ applet: any IoTSafeApplet, _ apdu: [UInt8]) throws -> [UInt8] {
        let response = try applet.transmit(apdu)
        guard response.count >= 2 else {
            throw DeviceKitError(
                .malformedResponse, "the applet answered \(response.count) bytes, without a status word")
        }
        let sw = UInt16(response[response.count - 2]) << 8 | UInt16(response[response.count - 1])
        guard sw == IoTSafeStatusWord.ok.rawValue else {
            let name = String(sw, radix: 16, uppercase: true)
            throw DeviceKitError(
                .statusWord,
                "the applet refused INS \(String(apdu[1], radix: 16, uppercase: true)) with status word \(name)",
                statusWord: sw
            )
        }
        return Array(response.dropLast(2))
    }

    private func tlvs(_ data: [UInt8]) throws -> [IoTSafeTLV] {
        guard let parsed = IoTSafeTLV.parse(data) else {
            throw DeviceKitError(.malformedResponse, "the applet's response is not a TLV sequence")
        }
        return parsed
    }

    private static func sessionTLVs(keyTag: UInt8, keyID: UInt8, mode: UInt8) -> [UInt8] {
        [
            IoTSafeTLV(keyTag, [keyID]), IoTSafeTLV(0xA1, [mode]), IoTSafeTLV(0x91, [0x00, 0x01]),
            IoTSafeTLV(0x92, [0x04]),
        ].encoded
    }

    private static func point(_ tlvs: [IoTSafeTLV]) throws -> [UInt8] {
        guard let data = tlvs.first(0x34), let template = IoTSafeTLV.parse(data)?.first(0x49),
            let point = IoTSafeTLV.parse(template)?.first(0x86), point.count == 65
        else {
            throw DeviceKitError(.malformedResponse, "public key data (34/49/86) missing or not an uncompressed point")
        }
        return point
    }

    private static func signature(_ data: [UInt8]) throws -> [UInt8] {
        guard let signature = IoTSafeTLV.parse(data)?.first(0x33), signature.count == 64 else {
            throw DeviceKitError(.malformedResponse, "COMPUTE SIGNATURE did not return a 64-byte r||s in tag 33")
        }
        return signature
    }
}
