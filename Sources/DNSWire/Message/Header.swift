// RFC 1035 §4.1.1 (AD and CD from RFC 4035 §3.2):
//                                  1  1  1  1  1  1
//    0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
//  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//  |                      ID                       |
//  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//  |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
//  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//  |            QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT |
//  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+

/// The fixed part of a DNS message, without the section counts (the encoder derives them).
public struct Header: Hashable, Sendable {
    public var id: UInt16
    /// Response (true) or query (false).
    public var qr: Bool
    public var opcode: Opcode
    /// Authoritative answer.
    public var aa: Bool
    /// Truncated: the answer did not fit; the client retries over TCP.
    public var tc: Bool
    /// Recursion desired.
    public var rd: Bool
    /// Recursion available.
    public var ra: Bool
    /// The reserved Z bit (must be zero; kept so a message round-trips).
    public var z: Bool
    /// Authentic data (RFC 4035 §3.2.3).
    public var ad: Bool
    /// Checking disabled (RFC 4035 §3.2.2).
    public var cd: Bool
    /// The low four bits of the RCODE; the full code is ``Message/responseCode``.
    public var rcodeLow: UInt8

    public init(
        id: UInt16 = 0, qr: Bool = false, opcode: Opcode = .query, aa: Bool = false, tc: Bool = false, rd: Bool = false,
        ra: Bool = false, z: Bool = false, ad: Bool = false, cd: Bool = false, rcodeLow: UInt8 = 0
    ) {
        self.id = id
        self.qr = qr
        self.opcode = opcode
        self.aa = aa
        self.tc = tc
        self.rd = rd
        self.ra = ra
        self.z = z
        self.ad = ad
        self.cd = cd
        self.rcodeLow = rcodeLow & 0x0F
    }

    var flags: UInt16 {
        var f: UInt16 = 0
        if qr { f |= 0x8000 }
        f |= UInt16(opcode.rawValue) << 11
        if aa { f |= 0x0400 }
        if tc { f |= 0x0200 }
        if rd { f |= 0x0100 }
        if ra { f |= 0x0080 }
        if z { f |= 0x0040 }
        if ad { f |= 0x0020 }
        if cd { f |= 0x0010 }
        f |= UInt16(rcodeLow & 0x0F)
        return f
    }

    init(id: UInt16, flags f: UInt16) {
        self.init(
            id: id, qr: f & 0x8000 != 0, opcode: Opcode(rawValue: UInt8((f >> 11) & 0x0F)), aa: f & 0x0400 != 0,
            tc: f & 0x0200 != 0, rd: f & 0x0100 != 0, ra: f & 0x0080 != 0, z: f & 0x0040 != 0, ad: f & 0x0020 != 0,
            cd: f & 0x0010 != 0, rcodeLow: UInt8(f & 0x0F))
    }
}

/// A question entry (RFC 1035 §4.1.2): QNAME, QTYPE, QCLASS.
public struct Question: Hashable, Sendable {
    public var name: DNSName
    public var type: RecordType
    public var recordClass: RecordClass

    public init(name: DNSName, type: RecordType, recordClass: RecordClass = .in) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }
}
