import Crypto
import Testing

@testable import Payload

@Suite struct COSESign1Tests {
    let key = P256.Signing.PrivateKey()

    @Test func signVerifyRoundTrip() throws {
        let cert: [UInt8] = [0x30, 0x03, 0x02, 0x01, 0x01]
        let message = try COSESign1.sign(
            payload: Array("hello".utf8),
            protected: COSEHeaders(keyID: [1, 2], x5chain: [cert, cert]),
            signer: P256COSESigner(privateKey: key)
        )
        let bytes = message.encoded()
        #expect(bytes.prefix(2) == [0xD2, 0x84])  // tag 18, array(4)
        let parsed = try COSESign1(decoding: bytes)
        #expect(parsed == message)
        #expect(parsed.protected.algorithm == .es256)
        #expect(parsed.protected.keyID == [1, 2])
        #expect(parsed.protected.x5chain == [cert, cert])
        #expect(parsed.signature.count == 64)
        try parsed.verify(publicKey: key.publicKey)
        #expect(parsed.encoded() == bytes)
    }

    @Test func singleCertificateX5chainIsABstr() throws {
        // RFC 9360 §2: one certificate is carried as a bstr, not an array of one.
        let headers = COSEHeaders(x5chain: [[0x30, 0x00]])
        #expect(headers.cbor.encoded().hex == "a1182142" + "3000")
        #expect(try COSEHeaders(cbor: headers.cbor).x5chain == [[0x30, 0x00]])
    }

    @Test func protectedHeaderBytes() throws {
        // {1: -7} = a10126, as in the COSE WG examples (sign1-pass-01 … ecdsa-01).
        let message = try COSESign1.sign(payload: [], signer: P256COSESigner(privateKey: key))
        #expect(message.protectedBytes.hex == "a10126")
    }

    /// RFC 9052 Appendix C.2.1 (COSE_Sign1, ES256, kid "11", key from the COSE WG examples): verify a peer's message.
    @Test func verifiesCOSEWGExample() throws {
        let x = [UInt8](hex: "bac5b11cad8f99f9c72b05cf4b9e26d244dc189f745228255a219a86d6a09eff")
        let y = [UInt8](hex: "20138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117e")
        let publicKey = try P256.Signing.PublicKey(rawRepresentation: x + y)
        let message = try COSESign1(decoding: [UInt8](hex: Self.ecdsaSig01))
        #expect(message.protected.algorithm == .es256)
        #expect(message.unprotected.keyID == Array("11".utf8))
        try message.verify(publicKey: publicKey)
    }
    static let ecdsaSig01 =
        "d28443a10126a10442313154546869732069732074686520636f6e74656e742e5840"
        + "8eb33e4ca31d1c465ab05aac34cc6b23d58fef5c083106c4d25a91aef0b0117e"
        + "2af9a291aa32e14ab834dc56ed2a223444547e01f11d3b0916e5a4c345cacb36"

    @Test func refusesTamperedPayloadWrongKeyAndAAD() throws {
        let signer = P256COSESigner(privateKey: key)
        let message = try COSESign1.sign(payload: [1, 2, 3], externalAAD: [9], signer: signer)
        try message.verify(publicKey: key.publicKey, externalAAD: [9])
        #expect(throws: PayloadError(.badSignature, "")) { try message.verify(publicKey: key.publicKey) }
        #expect(throws: PayloadError(.badSignature, "")) {
            try message.verify(publicKey: P256.Signing.PrivateKey().publicKey, externalAAD: [9])
        }
        // Same headers and signature over a changed payload.
        let tamperedBytes = CBOR.tag(
            18, [.bytes(message.protectedBytes), [:], .bytes([1, 2, 4]), .bytes(message.signature)]
        ).encoded()
        let tampered = try COSESign1(decoding: tamperedBytes)
        #expect(throws: PayloadError(.badSignature, "")) {
            try tampered.verify(publicKey: key.publicKey, externalAAD: [9])
        }
    }

    @Test func refusesOtherAlgorithmsAndBadShapes() throws {
        // Protected {1: -35} (ES384), empty unprotected, payload h'', 64-byte signature.
        let es384 = CBOR.tag(
            18, [.bytes(CBOR.map([1: -35]).encoded()), [:], .bytes([]), .bytes([UInt8](repeating: 1, count: 64))]
        ).encoded()
        #expect(throws: PayloadError(.unsupportedAlgorithm, "")) {
            try COSESign1(decoding: es384).verify(publicKey: key.publicKey)
        }
        #expect(throws: PayloadError(.unexpectedType, "")) { try COSESign1(decoding: CBOR.array([1, 2]).encoded()) }
        #expect(throws: PayloadError(.unexpectedType, "")) {
            try COSESign1(decoding: CBOR.tag(98, [.bytes([]), [:], .null, .bytes([])]).encoded())
        }
    }

    @Test func signerMustReturnRawSignature() {
        let der = ClosureCOSESigner { _ in [UInt8](repeating: 0x30, count: 71) }
        #expect(throws: PayloadError(.signingFailed, "")) { try COSESign1.sign(payload: [], signer: der) }
    }

    @Test func fuzzNeverTraps() throws {
        let seed = try COSESign1.sign(
            payload: [1, 2, 3],
            protected: COSEHeaders(keyID: [7], x5chain: [[1], [2]]),
            signer: P256COSESigner(privateKey: key)
        ).encoded()
        for input in Fuzz.inputs(seeds: [seed, [UInt8](hex: Self.ecdsaSig01)], count: 5_000) {
            if let message = try? COSESign1(decoding: input) {
                _ = try? message.verify(publicKey: key.publicKey)
            }
        }
    }
}
