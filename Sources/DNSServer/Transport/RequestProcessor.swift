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

    /// Every response message for the request `bytes` from `remote` (empty: send nothing), a zone transfer's
    /// included.
    func process(_ bytes: [UInt8], remote: SocketAddress?, transport: QueryResponder.Transport) -> [[UInt8]] {
        var r = replies(bytes, remote: remote, transport: transport)
        var out = r.messages
        while let m = r.transfer?.next() { out.append(m) }
        return out
    }

    /// The replies to the request `bytes` from `remote`: the messages to send now (none: send nothing), or a zone
    /// transfer whose messages are made as the connection takes them.
    func replies(_ bytes: [UInt8], remote: SocketAddress?, transport: QueryResponder.Transport) -> Replies {
        guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { return Replies() }
        let snapshot = store.snapshot
        if let fast = responder.fastResponse(toWire: bytes, zone: snapshot.zone, transport: transport) {
            return Replies(messages: [fast])
        }
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
                return Replies(messages: [Message(header: h).encode(maxSize: 512)])
            }
        }
        guard let query = try? Message(wire: bytes, limits: Message.DecodingLimits(maxRecords: 64)) else {
            return Replies(
                messages: responder.respond(toWire: bytes, zone: snapshot.zone, transport: transport).map { [$0] } ?? []
            )
        }
        var out: [[UInt8]]
        if transport == .stream, query.header.opcode == .query, let q = query.questions.first,
            q.type == .axfr || q.type == .ixfr, q.name == snapshot.zone.apex
        {
            switch transferMessages(query, q.type, snapshot: snapshot, remote: remote, authorised: signer != nil) {
            case .refused(let refusal):
                out = [refusal]
            case .messages(let messages):
                return Replies(transfer: EncodedTransfer(messages: messages, signer: signer, now: now))
            }
        } else {
            out = [responder.encodedResponse(to: query, zone: snapshot.zone, transport: transport)]
        }
        if let signer {
            var prior = signer.mac
            for i in out.indices {
                prior = TSIG.sign(&out[i], key: signer.key, priorMAC: prior, first: i == 0, now: now)
            }
        }
        return Replies(messages: out)
    }

    enum TransferReply {
        case refused([UInt8])
        case messages(TransferMessages)
    }

    func transferMessages(
        _ query: Message, _ type: RecordType, snapshot: ZoneSnapshot, remote: SocketAddress?, authorised: Bool
    ) -> TransferReply {
        var refusal = Message(header: Header(id: query.header.id, qr: true, opcode: .query))
        refusal.questions = query.questions
        guard authorised || remote?.ipAddress.map(access.allowedAddresses.contains) == true else {
            refusal.responseCode = .refused
            return .refused(refusal.encode())
        }
        if type == .axfr { return .messages(transfer.axfrMessages(for: query, zone: snapshot.zone)) }
        guard case .soa(let soa)? = query.authority.first(where: { $0.type == .soa })?.rdata else {
            refusal.responseCode = .formErr
            return .refused(refusal.encode())
        }
        return .messages(transfer.ixfrMessages(for: query, snapshot: snapshot, clientSerial: soa.serial))
    }
}

/// What to send for one request: messages ready now, or a zone transfer's messages, made as they are sent.
struct Replies {
    var messages: [[UInt8]] = []
    var transfer: EncodedTransfer?
}

/// A transfer's messages, encoded and, for a signed request, TSIG-signed in turn (RFC 8945 §5.3.1: each message's
/// MAC covers the one before it).
struct EncodedTransfer {
    var messages: TransferMessages
    var signer: (key: TSIGKey, mac: [UInt8])?
    let now: UInt64
    private var first = true

    init(messages: TransferMessages, signer: (key: TSIGKey, mac: [UInt8])?, now: UInt64) {
        self.messages = messages
        self.signer = signer
        self.now = now
    }

    /// The next message's octets, or nil when the transfer is complete.
    mutating func next() -> [UInt8]? {
        guard let m = messages.nextMessage() else { return nil }
        var out = m.encode()
        if let s = signer {
            signer = (s.key, TSIG.sign(&out, key: s.key, priorMAC: s.mac, first: first, now: now))
        }
        first = false
        return out
    }
}
