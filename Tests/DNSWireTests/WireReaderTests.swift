import DNSWire
import Testing

@Suite("Walking a message without decoding it")
struct WireReaderTests {
    @Test("skipName moves past a plain name, stops after a pointer, and refuses a cut name or a reserved label type")
    func skipName() throws {
        // "www.example." then a pointer to offset 4, then one more octet.
        let bytes: [UInt8] = [3, 0x77, 0x77, 0x77, 7] + Array("example".utf8) + [0, 0xC0, 4, 0xAA]
        var r = WireReader(bytes)
        try r.skipName()
        #expect(r.offset == 13)
        try r.skipName()
        #expect(r.offset == 15)
        #expect(try r.readUInt8() == 0xAA)

        var cut = WireReader([3, 0x77, 0x77])
        #expect(throws: DNSWireError.self) { try cut.skipName() }
        var unterminated = WireReader([3, 0x77, 0x77, 0x77])
        #expect(throws: DNSWireError.self) { try unterminated.skipName() }
        var halfPointer = WireReader([0xC0])
        #expect(throws: DNSWireError.self) { try halfPointer.skipName() }
        var reserved = WireReader([0x40, 0])
        #expect(throws: DNSWireError.self) { try reserved.skipName() }
        var short = WireReader([1, 2])
        #expect(throws: DNSWireError.self) { try short.skip(3) }
        #expect(short.offset == 0)
    }
}
