// RFC 4034 §4.1:
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  /                      Next Domain Name                         /
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  /                       Type Bit Maps                           /
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Type Bit Maps (§4.1.2): ( Window Block # | Bitmap Length | Bitmap )+, windows ascending, length 1...32,
// no trailing zero octets.

/// The set of types present at a name, in the window-block encoding of RFC 4034 §4.1.2 (shared with NSEC3).
public struct TypeBitmap: Hashable, Sendable {
    /// The types, sorted ascending.
    public private(set) var types: [RecordType]

    public init<S: Sequence>(_ types: S) where S.Element == RecordType { self.types = Array(Set(types)).sorted() }

    public func contains(_ t: RecordType) -> Bool {
        var lo = 0
        var hi = types.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if types[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return lo < types.count && types[lo] == t
    }

    func encode(into writer: inout WireWriter) {
        var i = 0
        while i < types.count {
            let window = UInt8(types[i].rawValue >> 8)
            var bitmap = [UInt8](repeating: 0, count: 32)
            var length = 0
            while i < types.count && UInt8(types[i].rawValue >> 8) == window {
                let low = Int(types[i].rawValue & 0xFF)
                bitmap[low / 8] |= 0x80 >> UInt8(low % 8)
                length = low / 8 + 1
                i += 1
            }
            writer.writeUInt8(window)
            writer.writeUInt8(UInt8(length))
            writer.writeBytes(bitmap[0..<length])
        }
    }

    init(wire reader: inout WireReader) throws {
        var out: [RecordType] = []
        var lastWindow = -1
        while reader.remaining > 0 {
            let window = Int(try reader.readUInt8())
            let length = Int(try reader.readUInt8())
            guard window > lastWindow, (1...32).contains(length) else {
                throw DNSWireError.rdata("type bitmap windows must ascend and be 1...32 octets (RFC 4034 §4.1.2)")
            }
            lastWindow = window
            let bits = try reader.readBytes(length)
            for (o, b) in bits.enumerated() where b != 0 {
                for bit in 0..<8 where b & (0x80 >> UInt8(bit)) != 0 {
                    out.append(RecordType(rawValue: UInt16(window) << 8 | UInt16(o * 8 + bit)))
                }
            }
        }
        types = out
    }
}

/// An authenticated-denial record (RFC 4034 §4): the next owner name in canonical order and the types here.
public struct NSEC: RDataCoding {
    static let recordType = RecordType.nsec
    /// The next owner name in the zone's canonical order (the apex for the last name).
    public var nextName: DNSName
    public var types: TypeBitmap

    public init(nextName: DNSName, types: TypeBitmap) {
        self.nextName = nextName
        self.types = types
    }

    init(wire reader: inout WireReader) throws {
        nextName = try reader.readName(allowCompression: false)
        types = try TypeBitmap(wire: &reader)
    }

    // RFC 6840 §5.1: the next name is not lowercased in canonical form.
    func encode(into writer: inout WireWriter, canonical: Bool) {
        writer.writeName(nextName, compress: false)
        types.encode(into: &writer)
    }

    init(presentation fields: inout PresentationFields) throws {
        nextName = try fields.name("NSEC next name")
        var t: [RecordType] = []
        while !fields.isAtEnd {
            let s = try fields.next("NSEC type")
            guard let type = RecordType(mnemonic: s) else {
                throw DNSWireError(.unknownMnemonic, "NSEC lists unknown type '\(s)'")
            }
            t.append(type)
        }
        types = TypeBitmap(t)
    }

    public var presentation: String {
        ([nextName.description] + types.types.map(\.description)).joined(separator: " ")
    }
}
