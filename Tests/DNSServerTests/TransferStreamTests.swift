import DNSSEC
import DNSWire
import Foundation
import Testing

@testable import DNSServer

#if canImport(Glibc)
    import Glibc
#endif

/// Zone transfers made a message at a time: the same messages as the whole list, and whole over a real connection
/// whose client reads slowly (so that the server must wait for the connection to become writable again).
@Suite("Zone transfers streamed")
struct TransferStreamTests {
    static func zone(devices: Int) throws -> SignedZone {
        var records = try TestZone.records(devices: devices)
        records += try ZoneFileReader(origin: TestZone.apex, defaultTTL: 300).read(
            """
            sub 300 IN NS ns.sub
            ns.sub 300 IN A 192.0.2.53
            """)
        return try SignedZone(apex: TestZone.apex, records: records, keys: .generate())
    }

    @Test("a streamed AXFR, and an IXFR that falls back to one, are the messages of the whole list")
    func streamedMessagesMatchTheList() throws {
        let zone = try Self.zone(devices: 300)
        let transfer = ZoneTransfer()
        let query = TestZone.query(zone.apex, .axfr)
        let whole = transfer.messages(for: query, records: transfer.axfrRecords(zone)).map { $0.encode() }
        #expect(whole.count > 3)
        var streamed = transfer.axfrMessages(for: query, zone: zone)
        var got: [[UInt8]] = []
        while let m = streamed.nextMessage() { got.append(m.encode()) }
        #expect(got == whole)

        let snapshot = ZoneStore(zone).snapshot
        var ixfr = transfer.ixfrMessages(for: query, snapshot: snapshot, clientSerial: zone.serial &- 5)
        var fallback: [[UInt8]] = []
        while let m = ixfr.nextMessage() { fallback.append(m.encode()) }
        #expect(fallback == whole, "an unknown serial gets the full zone")
        var current = transfer.ixfrMessages(for: query, snapshot: snapshot, clientSerial: zone.serial)
        #expect(current.nextMessage()?.answers.map(\.type) == [.soa])
        #expect(current.nextMessage() == nil)
    }

    @Test("a slow reader gets a multi-megabyte AXFR whole, then the answer to the query it sent behind it")
    func slowReaderGetsTheWholeTransfer() async throws {
        let zone = try Self.zone(devices: 1_500)
        let h = try await ServerHarness.start(zone) {
            $0.transferAccess = TransferAccess(allowedAddresses: ["127.0.0.1"])
        }
        defer { Task { await h.stop() } }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        // A small receive buffer: the server's writes back up after a few messages.
        var small: Int32 = 8_192
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(h.ports.tcp ?? 0).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func send(_ m: Message) {
            let wire = m.encode()
            let framed = [UInt8(wire.count >> 8), UInt8(wire.count & 0xFF)] + wire
            _ = framed.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        }
        send(TestZone.query(zone.apex, .axfr, id: 1))
        send(TestZone.query(zone.apex, .soa, id: 2))

        var received: [UInt8] = []
        var reads = 0
        func read(_ count: Int) throws -> [UInt8] {
            while received.count < count {
                var chunk = [UInt8](repeating: 0, count: 4_096)
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { throw DNSServerError(.badConfiguration, "the connection ended early") }
                received += chunk[0..<n]
                reads += 1
                if reads % 8 == 0 { usleep(1_000) }  // slowly
            }
            let out = Array(received[0..<count])
            received.removeFirst(count)
            return out
        }
        func message() throws -> Message {
            let length = try read(2)
            return try Message(wire: try read(Int(length[0]) << 8 | Int(length[1])))
        }
        var records: [ResourceRecord] = []
        var messages = 0
        repeat {
            let m = try message()
            #expect(m.header.id == 1)
            records += m.answers
            messages += 1
        } while records.count < 2 || records.last?.type != .soa
        let expected = zone.records
        #expect(messages > 50)
        #expect(records.count == expected.count + 1)
        #expect(Array(records.dropLast()) == expected)
        #expect(records.first?.type == .soa && records.last == records.first)
        let soa = try message()
        #expect(soa.header.id == 2 && soa.answers.first?.type == .soa, "the query sent behind the transfer")
    }
}
