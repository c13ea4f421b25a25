import Testing

@testable import Payload

/// RFC 8949 Appendix A examples (hex as printed in the RFC).
@Suite struct CBORTests {
    /// Items already in preferred (deterministic) serialization: decode, compare value, re-encode byte for byte.
    static let preferred: [(CBOR, String)] = [
        (0, "00"), (1, "01"), (10, "0a"), (23, "17"), (24, "1818"), (25, "1819"), (100, "1864"),
        (1000, "1903e8"), (1_000_000, "1a000f4240"), (1_000_000_000_000, "1b000000e8d4a51000"),
        (.unsigned(18_446_744_073_709_551_615), "1bffffffffffffffff"),
        (.tag(2, .bytes([1, 0, 0, 0, 0, 0, 0, 0, 0])), "c249010000000000000000"),
        (.negative(18_446_744_073_709_551_615), "3bffffffffffffffff"),
        (.tag(3, .bytes([1, 0, 0, 0, 0, 0, 0, 0, 0])), "c349010000000000000000"),
        (-1, "20"), (-10, "29"), (-100, "3863"), (-1000, "3903e7"),
        (.float(0.0), "f90000"), (.float(-0.0), "f98000"), (.float(1.0), "f93c00"), (.float(1.1), "fb3ff199999999999a"),
        (.float(1.5), "f93e00"), (.float(65504.0), "f97bff"), (.float(100000.0), "fa47c35000"),
        (.float(3.4028234663852886e+38), "fa7f7fffff"), (.float(1.0e+300), "fb7e37e43c8800759c"),
        (.float(5.960464477539063e-8), "f90001"), (.float(0.00006103515625), "f90400"), (.float(-4.0), "f9c400"),
        (.float(-4.1), "fbc010666666666666"), (.float(.infinity), "f97c00"), (.float(-.infinity), "f9fc00"),
        (false, "f4"), (true, "f5"), (.null, "f6"), (.undefined, "f7"), (.simple(16), "f0"), (.simple(255), "f8ff"),
        (.tag(0, "2013-03-21T20:04:00Z"), "c074323031332d30332d32315432303a30343a30305a"),
        (.tag(1, 1_363_896_240), "c11a514b67b0"), (.tag(1, .float(1363896240.5)), "c1fb41d452d9ec200000"),
        (.tag(23, .bytes([1, 2, 3, 4])), "d74401020304"),
        (.tag(24, .bytes([0x64, 0x49, 0x45, 0x54, 0x46])), "d818456449455446"),
        (.tag(32, "http://www.example.com"), "d82076687474703a2f2f7777772e6578616d706c652e636f6d"),
        (.bytes([]), "40"), (.bytes([1, 2, 3, 4]), "4401020304"), ("", "60"), ("a", "6161"), ("IETF", "6449455446"),
        ("\"\\", "62225c"), ("\u{00fc}", "62c3bc"), ("\u{6c34}", "63e6b0b4"), ("\u{10151}", "64f0908591"),
        ([], "80"), ([1, 2, 3], "83010203"), ([1, [2, 3], [4, 5]], "8301820203820405"),
        (.array((1...25).map { .unsigned($0) }), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
        ([:], "a0"), ([1: 2, 3: 4], "a201020304"), (["a": 1, "b": [2, 3]], "a26161016162820203"),
        (["a", ["b": "c"]], "826161a161626163"),
        (["a": "A", "b": "B", "c": "C", "d": "D", "e": "E"], "a56161614161626142616361436164614461656145"),
    ]

    /// Items whose RFC encoding is not the preferred one: decode to the value (indefinite lengths or long floats).
    static let nonPreferred: [(CBOR, String)] = [
        (.float(.infinity), "fa7f800000"), (.float(-.infinity), "faff800000"),
        (.float(.infinity), "fb7ff0000000000000"), (.float(-.infinity), "fbfff0000000000000"),
        (.bytes([1, 2, 3, 4, 5]), "5f42010243030405ff"), ("streaming", "7f657374726561646d696e67ff"),
        ([], "9fff"), ([1, [2, 3], [4, 5]], "9f018202039f0405ffff"), ([1, [2, 3], [4, 5]], "9f01820203820405ff"),
        ([1, [2, 3], [4, 5]], "83018202039f0405ff"), ([1, [2, 3], [4, 5]], "83019f0203ff820405"),
        (.array((1...25).map { .unsigned($0) }), "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff"),
        (["a": 1, "b": [2, 3]], "bf61610161629f0203ffff"), (["a", ["b": "c"]], "826161bf61626163ff"),
        (["Fun": true, "Amt": -2], "bf6346756ef563416d7421ff"),
    ]

    @Test func appendixAPreferredRoundTrips() throws {
        let decoder = CBORDecoder(requireDeterministic: true)
        for (value, hex) in Self.preferred {
            let bytes = [UInt8](hex: hex)
            #expect(value.encoded() == bytes, "encode \(value)")
            #expect(try decoder.decode(bytes) == value, "decode \(hex)")
        }
    }

    @Test func appendixANonPreferredDecodes() throws {
        let decoder = CBORDecoder(allowIndefiniteLength: true)
        for (value, hex) in Self.nonPreferred {
            #expect(try decoder.decode([UInt8](hex: hex)) == value, "decode \(hex)")
        }
    }

    @Test func nanIsWrittenAsHalf() throws {
        #expect(CBOR.float(.nan).encoded() == [0xF9, 0x7E, 0x00])
        for hex in ["f97e00", "fa7fc00000", "fb7ff8000000000000"] {
            let value = try CBORDecoder().decode([UInt8](hex: hex))
            guard case .float(let d) = value else {
                Issue.record("not a float: \(hex)")
                continue
            }
            #expect(d.isNaN)
        }
    }

    @Test func indefiniteLengthRefusedByDefault() {
        #expect(throws: PayloadError(.indefiniteLength, "")) { try CBORDecoder().decode([UInt8](hex: "9fff")) }
    }

    @Test func deterministicModeRefusesLongHeadsAndUnsortedKeys() throws {
        let strict = CBORDecoder(requireDeterministic: true)
        // 1 written in two bytes (not shortest).
        #expect(throws: PayloadError(.notDeterministic, "")) { try strict.decode([0x18, 0x01]) }
        // {3: 4, 1: 2}: keys out of bytewise order.
        #expect(throws: PayloadError(.notDeterministic, "")) { try strict.decode([UInt8](hex: "a203040102")) }
        // 1.5 as a double instead of a half.
        #expect(throws: PayloadError(.notDeterministic, "")) { try strict.decode([UInt8](hex: "fb3ff8000000000000")) }
        #expect(try CBORDecoder().decode([0x18, 0x01]) == 1)
    }

    @Test func mapKeysSortBytewiseByEncoding() {
        // §4.2.1: 10 (0x0a) < 100 (0x1864) < -1 (0x20) < "z" (0x617a) < "aa" (0x626161) < [100] < [-1] < false.
        let map: CBOR = [false: 0, [-1]: 0, [100]: 0, "aa": 0, "z": 0, -1: 0, 100: 0, 10: 0]
        #expect(map.encoded().hex == "a80a001864002000617a0062616100811864008120" + "00f400")
    }

    @Test func negativeFixtures() {
        let decoder = CBORDecoder(maxDepth: 4)
        let cases: [(String, PayloadError.Code)] = [
            ("", .truncated),  // empty_input
            ("19", .truncated),  // head_missing_argument
            ("4401", .truncated),  // bytes_shorter_than_length
            ("9b00000000ffffffff", .truncated),  // array_count_beyond_input
            ("0001", .trailingBytes),  // trailing_byte
            ("1c", .malformed),  // reserved_additional_info
            ("ff", .malformed),  // lone_break
            ("f801", .malformed),  // two_byte_simple_below_32
            ("1f", .malformed),  // indefinite_integer
            ("62c328", .invalidUTF8),  // invalid_utf8
            ("a201020103", .duplicateMapKey),  // duplicate_key
            ("8181818181", .tooDeep),  // nesting_beyond_limit
        ]
        for (hex, code) in cases {
            #expect(throws: PayloadError(code, ""), "\(hex)") { try decoder.decode([UInt8](hex: hex)) }
        }
        #expect(throws: PayloadError(.tooLarge, "")) { try CBORDecoder(maxSize: 2).decode([0x43, 1, 2, 3]) }
    }

    /// Random and mutated bytes: the decoder throws or returns, never traps or hangs; what decodes re-encodes stably.
    @Test func fuzzNeverTraps() throws {
        let seeds = (Self.preferred + Self.nonPreferred).map { [UInt8](hex: $0.1) }
        let lenient = CBORDecoder(allowIndefiniteLength: true)
        var decoded = 0
        for input in Fuzz.inputs(seeds: seeds, count: 20_000) {
            guard let value = try? lenient.decode(input) else { continue }
            decoded += 1
            let again = try CBORDecoder(maxSize: 1 << 20, maxDepth: 64).decode(value.encoded())
            #expect(again.encoded() == value.encoded())
        }
        #expect(decoded > 0)
    }
}
