// EPP load client: commands per second over one session and over many concurrent sessions (create, check, info),
// each session strictly one command at a time as RFC 5734 requires. bench/epp.sh runs it against `iotreg serve
// --epp` and prints the same operations over REST (wrk) beside it.
//
//   bench-epp --port P --ca server.pem --cert client.pem --key client.key --asp ID --token T --owner O --mno M
//             [--seconds 5] [--sessions 1,32] [--ops create,check,info]
import EPP
import EPPServer
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import RegistryCore
import Synchronization

struct Options {
    var values: [String: String] = [:]
    init() {
        var iterator = CommandLine.arguments.dropFirst().makeIterator()
        while let key = iterator.next() {
            guard key.hasPrefix("--"), let value = iterator.next() else { continue }
            values[String(key.dropFirst(2))] = value
        }
    }
    func required(_ key: String) -> String {
        guard let value = values[key] else {
            FileHandle.standardError.write(Data("bench-epp: --\(key) is required\n".utf8))
            exit(2)
        }
        return value
    }
}

/// Answers in order: one promise per command sent (only touched on its channel's event loop).
final class ResponseHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    var waiting: CircularBuffer<EventLoopPromise<ByteBuffer>> = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if let promise = waiting.popFirst() { promise.succeed(frame) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        while let promise = waiting.popFirst() { promise.fail(ChannelError.ioOnClosedChannel) }
    }
}

struct EPPConnection {
    let channel: any Channel
    let handler: ResponseHandler

    static func open(port: Int, tls: NIOSSLContext, group: any EventLoopGroup) async throws -> EPPConnection {
        let handler = ResponseHandler()
        let greeting = group.next().makePromise(of: ByteBuffer.self)
        handler.waiting.append(greeting)
        let channel = try await ClientBootstrap(group: greeting.futureResult.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        try NIOSSLClientHandler(context: tls, serverHostname: nil),
                        ByteToMessageHandler(EPPFrameDecoder(maxFrameSize: 1 << 20)), handler,
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        _ = try await greeting.futureResult.get()
        return EPPConnection(channel: channel, handler: handler)
    }

    func send(_ xml: [UInt8]) async throws -> ByteBuffer {
        let channel = self.channel
        let handler = self.handler
        return try await channel.eventLoop.flatSubmit {
            let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
            handler.waiting.append(promise)
            var buffer = channel.allocator.buffer(capacity: xml.count + 4)
            buffer.writeEPPFrame(xml)
            channel.writeAndFlush(buffer, promise: nil)
            return promise.futureResult
        }.get()
    }
}

func resultCode(_ frame: ByteBuffer) -> Int {
    let text = String(buffer: frame)
    guard let range = text.range(of: #"code=""#) else { return 0 }
    return Int(text[range.upperBound...].prefix(4)) ?? 0
}

/// Everything the load loop needs, immutable and shareable across tasks.
struct Bench: Sendable {
    let port: Int
    let asp: String
    let token: String
    let owner: String
    let mno: String
    let eidPrefix: String
    static let nextDevice = Atomic<Int>(0)
    static let created = Mutex<[String]>([])
    static let ns = #"xmlns:iotdev="urn:ietf:params:xml:ns:iotdevice-1.0""#

    func command(_ body: String, _ id: Int) -> [UInt8] {
        Array(
            (#"<?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command>"#
                + body + "<clTRID>bench-\(id)</clTRID></command></epp>").utf8)
    }

    var login: [UInt8] {
        command(
            "<login><clID>\(asp)</clID><pw>\(token)</pw><options><version>1.0</version><lang>en</lang></options>"
                + "<svcs><objURI>urn:ietf:params:xml:ns:iotdevice-1.0</objURI></svcs></login>", 0)
    }

    func eid(_ n: Int) -> String {
        (try? EID.withCheckDigits(body: eidPrefix + String(format: "%020d", n)).digits) ?? ""
    }

    func iccid(_ n: Int) -> String {
        (try? ICCID.withCheckDigit(body: "898877" + String(format: "%013d", n % 10_000_000_000_000)).digits) ?? ""
    }

    func frame(for operation: String, step: Int) -> [UInt8] {
        let ns = Self.ns
        switch operation {
        case "create":
            let n = Self.nextDevice.wrappingAdd(1, ordering: .relaxed).newValue
            let id = eid(n)
            Self.created.withLock { $0.append(id) }
            return command(
                "<create><iotdev:create \(ns)><iotdev:eid>\(id)</iotdev:eid><iotdev:iccid>\(iccid(n))</iotdev:iccid>"
                    + "<iotdev:owner>\(owner)</iotdev:owner><iotdev:mno>\(mno)</iotdev:mno>"
                    + "<iotdev:model>bench</iotdev:model></iotdev:create></create>", step)
        case "check":
            return command(
                "<check><iotdev:check \(ns)><iotdev:eid>\(eid(step % 100_000 + 50_000_000))</iotdev:eid>"
                    + "</iotdev:check></check>", step)
        default:
            let known = Self.created.withLock { $0.isEmpty ? eid(0) : $0[step % $0.count] }
            return command("<info><iotdev:info \(ns)><iotdev:eid>\(known)</iotdev:eid></iotdev:info></info>", step)
        }
    }
}

func main() async throws {
    let options = Options()
    let bench = Bench(
        port: Int(options.required("port")) ?? 700, asp: options.required("asp"), token: options.required("token"),
        owner: options.required("owner"), mno: options.required("mno"),
        eidPrefix: options.values["eid-prefix"] ?? "8904903277")
    let seconds = Double(options.values["seconds"] ?? "5") ?? 5
    let sessionCounts = (options.values["sessions"] ?? "1,32").split(separator: ",").compactMap { Int($0) }
    let operations = (options.values["ops"] ?? "create,check,info").split(separator: ",").map(String.init)

    var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
    tlsConfiguration.trustRoots = .file(options.required("ca"))
    tlsConfiguration.certificateChain = try NIOSSLCertificate.fromPEMFile(options.required("cert")).map {
        .certificate($0)
    }
    tlsConfiguration.privateKey = .privateKey(try NIOSSLPrivateKey(file: options.required("key"), format: .pem))
    // The load client does not verify the server (the peer tests do, with Python's ssl); BoringSSL refuses a
    // self-signed leaf with CA:FALSE as its own trust anchor.
    tlsConfiguration.certificateVerification = .none
    let tls = try NIOSSLContext(configuration: tlsConfiguration)
    let group = MultiThreadedEventLoopGroup.singleton

    for sessions in sessionCounts {
        var connections: [EPPConnection] = []
        for _ in 0..<sessions {
            let connection = try await EPPConnection.open(port: bench.port, tls: tls, group: group)
            let code = resultCode(try await connection.send(bench.login))
            guard code == 1000 else {
                print("bench-epp: login answered \(code)")
                exit(1)
            }
            connections.append(connection)
        }
        for operation in operations {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            let start = ContinuousClock.now
            let (done, failed) = try await withThrowingTaskGroup(of: (Int, Int).self) { tasks in
                for (index, connection) in connections.enumerated() {
                    tasks.addTask {
                        var done = 0
                        var failed = 0
                        var step = index * 1_000_000
                        while ContinuousClock.now < deadline {
                            let code = resultCode(try await connection.send(bench.frame(for: operation, step: step)))
                            step += 1
                            if code == 1000 { done += 1 } else { failed += 1 }
                        }
                        return (done, failed)
                    }
                }
                var total = (0, 0)
                for try await (d, f) in tasks { total = (total.0 + d, total.1 + f) }
                return total
            }
            let elapsed = ContinuousClock.now - start
            let taken = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Double(done) / taken
            print(
                "epp \(operation) sessions=\(sessions) ok=\(done) failed=\(failed) rate=\(String(format: "%.0f", rate))"
            )
        }
        for connection in connections { try? await connection.channel.close() }
    }
    if let path = options.values["write-eids"] {
        let eids = Bench.created.withLock { $0 }
        try eids.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

try await main()
