import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// NSD as an ordinary secondary of the demo's registry nodes (DESIGN.md "Where it scales out"): it takes the zone
/// by TSIG-signed AXFR/IXFR from whichever node signs, after its NOTIFY, and serves it to the meters and the ASPs
/// over DNS-over-TLS with the registry's DoT identity, the one payloads pin.
final class NSDSecondary: @unchecked Sendable {
    let port: Int
    let tlsPort: Int
    let directory: URL
    private let process: Process

    /// Writes `nsd.conf` (server part, then the zone part exactly as `iotreg zone secondary` prints it) and starts
    /// `nsd -d`. The DoT identity files are those `iotreg zone secondary --dot-identity` writes (key 0600).
    init(
        directory: URL, zone: String, primaries: [ListenAddress], transferKey: (name: String, secret: String),
        tls: (certificate: URL, key: URL), ports: (dns: Int, tls: Int)
    ) throws {
        guard let nsd = Self.executable() else {
            throw CLIError("--secondary nsd needs NSD installed (apt-get install nsd): no 'nsd' in PATH or /usr/sbin")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let d = directory.path
        let configuration = """
            server:
              ip-address: 127.0.0.1@\(ports.dns)
              ip-address: 127.0.0.1@\(ports.tls)
              tls-port: \(ports.tls)
              # Every meter keeps its own DoT connection: NSD's default of 100 TCP connections, idle for 120 s,
              # would make the 101st meter wait minutes. RFC 7766 §6.2.3 lets servers close idle ones sooner.
              tcp-count: 4096
              tcp-timeout: 15
              tls-service-key: "\(tls.key.path)"
              tls-service-pem: "\(tls.certificate.path)"
              do-ip6: no
              username: ""
              chroot: ""
              zonesdir: "\(d)"
              database: ""
              pidfile: "\(d)/nsd.pid"
              xfrdfile: "\(d)/xfrd.state"
              zonelistfile: "\(d)/zone.list"
              xfrdir: "\(d)"
              logfile: "\(d)/nsd.log"
              verbosity: 1
              server-count: 1
            remote-control:
              control-enable: no

            """
            + ZoneCommand.Secondary.text(
                software: .nsd, zone: zone, primaries: primaries, keyName: transferKey.name,
                secret: transferKey.secret, storage: "\(d)/secondary.zone")
        let conf = directory.appendingPathComponent("nsd.conf")
        try RegistryHome.writeSecret(Data(configuration.utf8), to: conf)  // it holds the TSIG secret
        process = Process()
        process.executableURL = URL(fileURLWithPath: nsd)
        process.arguments = ["-d", "-c", conf.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: Self.emptyFile(directory.appendingPathComponent("stderr")))
        try process.run()
        self.port = ports.dns
        self.tlsPort = ports.tls
        self.directory = directory
    }

    /// NSD's log, for a step that failed.
    var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("nsd.log"), encoding: .utf8)) ?? ""
    }

    /// Stops NSD and its children (xfrd, the server): SIGTERM, and SIGKILL after 3 s for any that lingers.
    func stop() async {
        let family = Self.descendants(of: process.processIdentifier)
        for pid in family { kill(pid, SIGTERM) }
        for _ in 0..<30 where family.contains(where: Self.isAlive) { try? await Task.sleep(for: .milliseconds(100)) }
        for pid in family where Self.isAlive(pid) { kill(pid, SIGKILL) }
        for _ in 0..<20 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
    }

    /// `pid` and every process below it, from /proc (NSD forks xfrd, which forks the server).
    private static func descendants(of pid: Int32) -> [Int32] {
        let path = "/proc/\(pid)/task/\(pid)/children"
        let children = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: " ")
            .compactMap { Int32($0) }
        return [pid] + children.flatMap(descendants(of:))
    }

    private static func isAlive(_ pid: Int32) -> Bool {
        // A child that exited stays as a zombie until reaped: count only running states.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].dropFirst().first
        return state != "Z" && state != "X"
    }

    static func executable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return (path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin"])
            .map { "\($0)/nsd" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func emptyFile(_ url: URL) -> URL {
        FileManager.default.createFile(atPath: url.path, contents: nil)
        return url
    }

    /// A loopback port free for both UDP and TCP now (the kernel's pick; taken again at once is unlikely).
    static func freePort() throws -> Int {
        for _ in 0..<20 {
            let tcp = try bound(SOCK_STREAM, port: 0)
            defer { close(tcp.socket) }
            if let udp = try? bound(SOCK_DGRAM, port: tcp.port) {
                close(udp.socket)
                return tcp.port
            }
        }
        throw CLIError("no free loopback port for a DNS listener")
    }

    private static func bound(_ kind: __socket_type, port: Int) throws -> (socket: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(kind.rawValue), 0)
        guard fd >= 0 else { throw CLIError("socket(): errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw CLIError("bind(127.0.0.1:\(port)): errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
