import DNSSEC
import DNSWire
import Foundation
import NIOCore

/// Who may transfer the zone (RFC 5936 §5): holders of a TSIG key, or clients from listed addresses.
public struct TransferAccess: Sendable {
    /// Keys whose valid TSIG on an AXFR/IXFR request grants it (and signs the response).
    public var tsigKeys: [TSIGKey]
    /// Addresses (e.g. `127.0.0.1`) allowed to transfer without TSIG.
    public var allowedAddresses: Set<String>

    /// Nobody may transfer by default.
    public init(tsigKeys: [TSIGKey] = [], allowedAddresses: Set<String> = []) {
        self.tsigKeys = tsigKeys
        self.allowedAddresses = allowedAddresses
    }
}

/// The transport-independent part of request handling: TSIG, transfers and queries, giving the messages to send.
struct RequestProcessor: Sendable {
    let store: ZoneStore
    let responder: QueryResponder
    let transfer: ZoneTransfer
    let access: TransferAccess

    /// The response messages for the request `bytes` from `remote` (empty: send nothing).
    func process(_ bytes: [UInt8], remote: SocketAddress?, transport: QueryResponder.Transport) -> [[UInt8]] {
        guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { return [] }
        let snapshot = store.snapshot
        let now = UInt64(max(0, Date().timeIntervalSince1970))
        var signer: (key: TSIGKey, mac: [UInt8])?
        if bytes[10] != 0 || bytes[11] != 0 {
            do {
                if let split = try TSIG.split(bytes) {
                    let (key, rec) = try TSIG.verify(split, keys: access.tsigKeys, now: now)
                    signer = (key, rec.mac)
                }
            } catch {
                var h = Header(id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), qr: true)
                h.opcode = Opcode(rawValue: (bytes[2] >> 3) & 0x0F)
                h.rcodeLow = 9  // NOTAUTH (RFC 8945 §5.2)
                return [Message(header: h).encode(maxSize: 512)]
            }
        }
        guard let query = try? Message(wire: bytes, limits: Message.DecodingLimits(maxRecords: 64)) else {
            return responder.respond(toWire: bytes, zone: snapshot.zone, transport: transport).map { [$0] } ?? []
        }
        var out: [[UInt8]]
        if transport == .stream, query.header.opcode == .query, let q = query.questions.first,
            q.type == .axfr || q.type == .ixfr, q.name == snapshot.zone.apex
        {
            out = transferMessages(query, q.type, snapshot: snapshot, remote: remote, authorised: signer != nil)
        } else {
            out = [responder.encodedResponse(to: query, zone: snapshot.zone, transport: transport)]
        }
        if let signer {
            var prior = signer.mac
            for i in out.indices {
                prior = TSIG.sign(&out[i], key: signer.key, priorMAC: prior, first: i == 0, now: now)
            }
        }
        return out
    }

    func transferMessages(
        _ query: Message, _ type: RecordType, snapshot: ZoneSnapshot, remote: SocketAddress?, authorised: Bool
    ) -> [[UInt8]] {
        var refusal = Message(header: Header(id: query.header.id, qr: true, opcode: .query))
        refusal.questions = query.questions
        guard authorised || remote?.ipAddress.map(access.allowedAddresses.contains) == true else {
            refusal.responseCode = .refused
            return [refusal.encode()]
        }
        let records: [ResourceRecord]
        if type == .axfr {
            records = transfer.axfrRecords(snapshot.zone)
        } else {
            guard case .soa(let soa)? = query.authority.first(where: { $0.type == .soa })?.rdata else {
                refusal.responseCode = .formErr
                return [refusal.encode()]
            }
            records = transfer.ixfrRecords(snapshot, clientSerial: soa.serial)
        }
        return transfer.messages(for: query, records: records).map { $0.encode() }
    }
}
