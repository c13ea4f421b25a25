import EPP
import EPPServer
import Foundation
import NIOCore
import NIOEmbedded
import NIOTestUtils
import PeerTesting
import RegistryCore
import Testing

/// RFC 5734 framing and connection rules, on EmbeddedChannel and over a live TLS connection.
@Suite struct TransportTests {
    // MARK: - the frame decoder

    @Test func decoderSplitsFramesWhateverTheChunking() throws {
        func frame(_ text: String) -> ByteBuffer {
            var buffer = ByteBuffer()
            buffer.writeEPPFrame(Array(text.utf8))
            return buffer
        }
        let pairs = [
            (frame("<epp/>"), [ByteBuffer(string: "<epp/>")]),
            (frame("<a>x</a>\r\n"), [ByteBuffer(string: "<a>x</a>\r\n")]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { EPPFrameDecoder() }
    }

    @Test(arguments: [UInt32(0), 3, 4, 1_000_001, UInt32.max])
    func decoderRefusesOutOfBoundsLengths(length: UInt32) throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(EPPFrameDecoder(maxFrameSize: 1_000_000)))
        var buffer = ByteBuffer()
        buffer.writeInteger(length)
        buffer.writeString("<epp/>")
        #expect(throws: EPPFrameError.self) { try channel.writeInbound(buffer) }
    }

    @Test func encoderCountsTheHeader() {
        var buffer = ByteBuffer()
        buffer.writeEPPFrame(Array("hello".utf8))
        #expect(buffer.readInteger(as: UInt32.self) == 9)
        #expect(buffer.readString(length: 5) == "hello")
    }

    // MARK: - live

    /// A raw client (Python's ssl module): sends frames it is told to, reads what comes back until the server
    /// closes or the deadline passes.
    static let rawClient = #"""
        import json, socket, ssl, struct, sys, time
        request = json.load(sys.stdin)
        context = ssl.create_default_context(cafile=request["ca"])
        context.load_cert_chain(request["cert"], request["key"])
        raw = socket.create_connection(("127.0.0.1", request["port"]), timeout=15)
        conn = context.wrap_socket(raw, server_hostname="127.0.0.1")

        def read_frame():
            header = b""
            while len(header) < 4:
                chunk = conn.recv(4 - len(header))
                if not chunk:
                    return None
                header += chunk
            total = struct.unpack(">I", header)[0]
            body = b""
            while len(body) < total - 4:
                chunk = conn.recv(total - 4 - len(body))
                if not chunk:
                    return None
                body += chunk
            return body.decode()

        frames = [read_frame()]
        for item in request["send"]:
            if "raw_header" in item:
                conn.sendall(struct.pack(">I", item["raw_header"]) + item["body"].encode())
            else:
                data = item["body"].encode()
                conn.sendall(struct.pack(">I", len(data) + 4) + data)
        closed = False
        start = time.time()
        try:
            while True:
                frame = read_frame()
                if frame is None:
                    closed = True
                    break
                frames.append(frame)
                if len(frames) >= request["expect"] + 1 and not request.get("wait_close"):
                    break
        except (ssl.SSLError, ConnectionResetError):
            closed = True
        except socket.timeout:
            pass  # the server kept the connection open: not closed
        print(json.dumps({"frames": frames, "closed": closed, "seconds": time.time() - start}))
        """#

    static func login(_ live: LiveEPP) -> [String: Any] {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><login>\
            <clID>\(live.aspA.id)</clID><pw>\(live.aspA.token.secret)</pw><options><version>1.0</version>\
            <lang>en</lang></options><svcs><objURI>urn:ietf:params:xml:ns:iotdevice-1.0</objURI></svcs></login>\
            <clTRID>LOGIN-1</clTRID></command></epp>
            """
        return ["body": xml]
    }

    func run(_ live: LiveEPP, send: [[String: Any]], expect: Int, waitClose: Bool = false) async throws
        -> (frames: [String], closed: Bool)
    {
        let output = try await live.python(
            Self.rawClient,
            input: [
                "ca": live.serverCertificate, "cert": live.certificate("a"), "key": live.key("a"), "port": live.port,
                "send": send, "expect": expect, "wait_close": waitClose,
            ])
        return (output["frames"] as? [String] ?? [], output["closed"] as? Bool ?? false)
    }

    static func code(_ frame: String) -> Int? {
        guard let range = frame.range(of: #"code=""#) else { return nil }
        return Int(frame[range.upperBound...].prefix(4))
    }

    @Test(
        .enabled(
            if: PeerTool.isAvailable("python3") && PeerTool.isAvailable("openssl") && PeerTool.isAvailable("xmllint")))
    func pipelinedCommandsAreAnsweredInOrder() async throws {
        try await LiveEPP.run { live in
            let check = """
                <?xml version="1.0"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><check>\
                <iotdev:check xmlns:iotdev="urn:ietf:params:xml:ns:iotdevice-1.0"><iotdev:eid>\(LiveEPP.eid(1))</iotdev:eid>\
                </iotdev:check></check><clTRID>CHECK-N</clTRID></command></epp>
                """
            var send = [Self.login(live)]
            for n in 0..<5 { send.append(["body": check.replacingOccurrences(of: "CHECK-N", with: "CHECK-\(n)")]) }
            let (frames, _) = try await run(live, send: send, expect: 6)
            try #require(frames.count == 7, "the raw client got \(frames.count) frames")
            #expect(frames.first?.contains("<greeting>") == true)
            #expect(frames.dropFirst().map { Self.code($0) } == [1000, 1000, 1000, 1000, 1000, 1000])
            for n in 0..<5 { #expect(frames[n + 2].contains("<clTRID>CHECK-\(n)</clTRID>")) }
            try LiveEPP.validate(frames)
        }
    }

    @Test(
        .enabled(
            if: PeerTool.isAvailable("python3") && PeerTool.isAvailable("openssl") && PeerTool.isAvailable("xmllint")))
    func xxeOverTheWireGets2001AndAClosedConnection() async throws {
        try await LiveEPP.run { live in
            let xxe = """
                <?xml version="1.0"?><!DOCTYPE epp [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\
                <epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/><clTRID>&xxe;</clTRID></command></epp>
                """
            let (frames, closed) = try await run(
                live, send: [Self.login(live), ["body": xxe]], expect: 2, waitClose: true)
            #expect(frames.dropFirst().map { Self.code($0) } == [1000, 2001])
            #expect(closed)
            #expect(!frames.joined().contains("root:x:0"))
            try LiveEPP.validate(frames)
        }
    }

    @Test(.enabled(if: PeerTool.isAvailable("python3") && PeerTool.isAvailable("openssl")))
    func oversizedFrameClosesTheConnection() async throws {
        try await LiveEPP.run(maxFrameSize: 4096) { live in
            let (frames, closed) = try await run(
                live, send: [["raw_header": 1_000_000, "body": "<epp>"]], expect: 1, waitClose: true)
            #expect(frames.count == 1)  // the greeting, then nothing
            #expect(closed)
        }
    }

    @Test(.enabled(if: PeerTool.isAvailable("python3") && PeerTool.isAvailable("openssl")))
    func idleSessionsAreClosed() async throws {
        // The idle timer starts when the connection is accepted, before the TLS handshake; two seconds leave a
        // loaded CI machine time to finish the handshake and read the greeting (300 ms did not, once).
        try await LiveEPP.run(idleTimeout: .seconds(2)) { live in
            let (frames, closed) = try await run(live, send: [], expect: 0, waitClose: true)
            #expect(frames.count == 1, "the greeting, then nothing")
            #expect(closed, "the server closes the idle session before the client's 15 s timeout")
        }
    }
}
