// RFC 8945 §4.2, the TSIG RDATA:
//   Algorithm Name (domain name, uncompressed) | Time Signed (48) | Fudge (16) | MAC Size (16) | MAC
//   Original ID (16) | Error (16) | Other Len (16) | Other Data
// Owner = key name, TYPE = TSIG (250), CLASS = ANY, TTL = 0; always the last record of the additional section.
// MAC input (§4.3.3): [request MAC size + MAC] | message without TSIG (ARCOUNT - 1, original ID) | TSIG variables:
//   key name (canonical) | CLASS | TTL | algorithm name (canonical) | time signed | fudge | error | other len | other
// Later messages of a stream (§5.3.1): prior MAC size + MAC | message | time signed | fudge.

import Crypto
public import DNSWire
import Foundation

/// A TSIG key (RFC 8945) with HMAC-SHA256, shared with a secondary to authorise zone transfers.
public struct TSIGKey: Sendable, CustomStringConvertible {
    /// The key's name, as configured on both sides (e.g. `xfr-key.`).
    public let name: DNSName
    let secret: SymmetricKey

    /// - Parameters:
    ///   - name: the key name.
    ///   - secret: the shared secret (at least 16 octets; RFC 8945 §6 wants the MAC's length, 32).
    /// - Throws: ``DNSServerError`` `badConfiguration` for a short secret.
    public init(name: DNSName, secret: [UInt8]) throws {
        guard secret.count >= 16 else {
            throw DNSServerError(.badConfiguration, "a TSIG secret needs at least 16 octets; use 32 random octets")
        }
        self.name = name.lowercased()
        self.secret = SymmetricKey(data: secret)
    }

    /// The only algorithm served: `hmac-sha256.`.
    public static let algorithm = (try? DNSName("hmac-sha256.")) ?? .root

    public var description: String { "TSIGKey(\(name), hmac-sha256)" }
}

/// Verifies TSIG on requests and signs responses (RFC 8945 §5).
struct TSIG {
    static let type = RecordType(rawValue: 250)
    static let fudge: UInt16 = 300

    struct Record {
        var keyName: DNSName
        var algorithm: DNSName
        var timeSigned: UInt64
        var fudge: UInt16
        var mac: [UInt8]
        var originalID: UInt16
        var error: UInt16
        var other: [UInt8]
    }

    /// The request split into its TSIG record and the octets it signs (ARCOUNT decremented), or nil without TSIG.
    static func split(_ bytes: [UInt8]) throws -> (record: Record, signed: [UInt8])? {
        var r = WireReader(bytes)
        _ = try r.readBytes(4)
        let qd = Int(try r.readUInt16())
        let an = Int(try r.readUInt16())
        let ns = Int(try r.readUInt16())
        let ar = Int(try r.readUInt16())
        guard ar > 0 else { return nil }
        // Skipped, not decoded: every query with EDNS (one additional record) passes here.
        for _ in 0..<qd {
            try r.skipName()
            try r.skip(4)
        }
        var lastStart = 0
        for _ in 0..<(an + ns + ar) {
            lastStart = r.offset
            try r.skipName()
            try r.skip(8)
            let len = Int(try r.readUInt16())
            try r.skip(len)
        }
        var t = WireReader(bytes)
        t.offset = lastStart
        let keyName = try t.readName()
        guard try t.readUInt16() == type.rawValue else { return nil }
        _ = try t.readBytes(6)
        _ = try t.readUInt16()
        let algorithm = try t.readName(allowCompression: false)
        let hi = UInt64(try t.readUInt16())
        let lo = UInt64(try t.readUInt32())
        let fudge = try t.readUInt16()
        let mac = try t.readBytes(Int(try t.readUInt16()))
        let oid = try t.readUInt16()
        let err = try t.readUInt16()
        let other = try t.readBytes(Int(try t.readUInt16()))
        var signed = Array(bytes[0..<lastStart])
        signed[10] = UInt8((ar - 1) >> 8)
        signed[11] = UInt8((ar - 1) & 0xFF)
        signed[0] = UInt8(oid >> 8)
        signed[1] = UInt8(oid & 0xFF)
        let rec = Record(
            keyName: keyName.lowercased(), algorithm: algorithm.lowercased(), timeSigned: hi << 32 | lo, fudge: fudge,
            mac: mac, originalID: oid, error: err, other: other)
        return (rec, signed)
    }

    static func variables(_ rec: Record, timersOnly: Bool) -> [UInt8] {
        var w = WireWriter()
        if !timersOnly {
            w.writeName(rec.keyName, compress: false)
            w.writeUInt16(RecordClass.any.rawValue)
            w.writeUInt32(0)
            w.writeName(rec.algorithm, compress: false)
        }
        w.writeUInt16(UInt16(truncatingIfNeeded: rec.timeSigned >> 32))
        w.writeUInt32(UInt32(truncatingIfNeeded: rec.timeSigned))
        w.writeUInt16(rec.fudge)
        if !timersOnly {
            w.writeUInt16(rec.error)
            w.writeUInt16(UInt16(truncatingIfNeeded: rec.other.count))
            w.writeBytes(rec.other)
        }
        return w.bytes
    }

    static func mac(key: TSIGKey, prior: [UInt8]?, message: [UInt8], variables: [UInt8]) -> [UInt8] {
        var h = HMAC<SHA256>(key: key.secret)
        if let prior {
            h.update(data: [UInt8(prior.count >> 8), UInt8(prior.count & 0xFF)])
            h.update(data: prior)
        }
        h.update(data: message)
        h.update(data: variables)
        return Array(h.finalize())
    }

    /// Verifies the request's TSIG with one of `keys`.
    /// - Returns: the key and the request's record (its MAC seeds the response's), or throws `badTSIG`.
    static func verify(_ split: (record: Record, signed: [UInt8]), keys: [TSIGKey], now: UInt64) throws -> (
        TSIGKey, Record
    ) {
        let rec = split.record
        guard let key = keys.first(where: { $0.name == rec.keyName }) else {
            throw DNSServerError(.badTSIG, "unknown TSIG key \(rec.keyName)")
        }
        guard rec.algorithm == TSIGKey.algorithm else {
            throw DNSServerError(.badTSIG, "TSIG algorithm \(rec.algorithm) is not hmac-sha256")
        }
        let expected = mac(key: key, prior: nil, message: split.signed, variables: variables(rec, timersOnly: false))
        guard rec.mac.count == expected.count, zip(rec.mac, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw DNSServerError(.badTSIG, "TSIG MAC does not verify for key \(rec.keyName)")
        }
        let skew = rec.timeSigned > now ? rec.timeSigned - now : now - rec.timeSigned
        guard skew <= UInt64(rec.fudge) else {
            throw DNSServerError(.badTSIG, "TSIG time is \(skew)s off; synchronise the clocks")
        }
        return (key, rec)
    }

    /// Appends a TSIG record to the encoded message `bytes` and returns the new MAC (for the next message).
    static func sign(
        _ bytes: inout [UInt8], key: TSIGKey, priorMAC: [UInt8], first: Bool, now: UInt64, error: UInt16 = 0
    ) -> [UInt8] {
        var rec = Record(
            keyName: key.name, algorithm: TSIGKey.algorithm, timeSigned: now, fudge: fudge, mac: [],
            originalID: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), error: error, other: [])
        let m = mac(key: key, prior: priorMAC, message: bytes, variables: variables(rec, timersOnly: !first))
        rec.mac = m
        var w = WireWriter()
        w.writeName(rec.keyName, compress: false)
        w.writeUInt16(type.rawValue)
        w.writeUInt16(RecordClass.any.rawValue)
        w.writeUInt32(0)
        var rd = WireWriter()
        rd.writeName(rec.algorithm, compress: false)
        rd.writeUInt16(UInt16(truncatingIfNeeded: now >> 32))
        rd.writeUInt32(UInt32(truncatingIfNeeded: now))
        rd.writeUInt16(fudge)
        rd.writeUInt16(UInt16(m.count))
        rd.writeBytes(m)
        rd.writeUInt16(rec.originalID)
        rd.writeUInt16(error)
        rd.writeUInt16(0)
        w.writeUInt16(UInt16(rd.bytes.count))
        w.writeBytes(rd.bytes)
        bytes += w.bytes
        let ar = (Int(bytes[10]) << 8 | Int(bytes[11])) + 1
        bytes[10] = UInt8((ar >> 8) & 0xFF)
        bytes[11] = UInt8(ar & 0xFF)
        return m
    }
}
