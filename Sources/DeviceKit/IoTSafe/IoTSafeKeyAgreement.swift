public import Crypto
public import Payload

/// HPKE's recipient-side ECDH done by the eSIM: the peer's key is loaded with PUT PUBLIC KEY and COMPUTE DH returns
/// the x-coordinate, so the key-agreement private key never leaves the applet.
public struct IoTSafeKeyAgreement: HPKEKeyAgreement, Sendable {
    /// The client speaking to the applet.
    public let client: IoTSafeClient
    /// The key-agreement key container.
    public let keyID: UInt8
    /// The loadable public key container used for the peer's key.
    public let peerSlotID: UInt8

    /// Uses the key-agreement container `keyID` and the peer slot `peerSlotID` of the applet behind `client`.
    public init(
        client: IoTSafeClient,
        keyID: UInt8 = IoTSafePersonalisation.keyAgreementKeyID,
        peerSlotID: UInt8 = IoTSafePersonalisation.peerPublicKeyID
    ) {
        self.client = client
        self.keyID = keyID
        self.peerSlotID = peerSlotID
    }

    public var publicKey: P256.KeyAgreement.PublicKey {
        get throws {
            do {
                return try P256.KeyAgreement.PublicKey(x963Representation: try client.readPublicKey(keyID))
            } catch let error as DeviceKitError {
                throw error
            } catch {
                throw DeviceKitError(.malformedResponse, "key-agreement container \(keyID) holds no valid P-256 key")
            }
        }
    }

    public func sharedSecret(with peerPublicKey: P256.KeyAgreement.PublicKey) throws -> [UInt8] {
        try client.putPublicKey(Array(peerPublicKey.x963Representation), into: peerSlotID)
        return try client.computeDH(privateKeyID: keyID, publicKeyID: peerSlotID)
    }
}
