public import Foundation

/// Runs the real peer tools (openssl, delv, ldns-verify-zone, python3 with cbor2/pycose …) that check our output.
///
/// In CI (`IOTREG_REQUIRE_PEERS=1`, set by `scripts/test.sh` when `CI` is set) a missing tool is a failure, never a
/// skip. Locally a missing tool makes ``isAvailable(_:)`` false and prints why, so the test can be skipped with
/// `@Test(.enabled(if: PeerTool.isAvailable("delv")))`.
public enum PeerTool {
    /// True when peers must run (CI): a missing tool must then fail the test rather than skip it.
    public static var peersRequired: Bool {
        ProcessInfo.processInfo.environment["IOTREG_REQUIRE_PEERS"] == "1"
    }

    /// The absolute path of `name` on `PATH`, or nil.
    public static func path(of name: String) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for dir in dirs {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether a test that needs `tool` (and, for python3, the given modules) should run.
    ///
    /// When peers are required this is always true, so a missing tool fails loudly inside the test.
    public static func isAvailable(_ tool: String, pythonModules: [String] = []) -> Bool {
        if peersRequired { return true }
        guard path(of: tool) != nil else {
            print("skipping: peer tool '\(tool)' is not installed (run scripts/install-peers.sh)")
            return false
        }
        for module in pythonModules {
            let result = try? run("python3", ["-c", "import \(module)"])
            if result?.status != 0 {
                print("skipping: python module '\(module)' is not installed (run scripts/install-peers.sh)")
                return false
            }
        }
        return true
    }

    /// What a finished peer process said.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// stdout and stderr together, for assertions and failure messages.
        public var output: String { stdout + stderr }
    }

    /// The error thrown when a required tool is not installed.
    public struct MissingTool: Error, CustomStringConvertible {
        public var tool: String
        public var description: String { "peer tool '\(tool)' is not installed; run scripts/install-peers.sh" }
    }

    /// Runs `tool` with `arguments`, feeding `stdin`, and waits for it (bounded by `timeout` seconds).
    @discardableResult
    public static func run(
        _ tool: String,
        _ arguments: [String],
        stdin: Data? = nil,
        currentDirectory: URL? = nil,
        timeout: TimeInterval = 120
    ) throws -> Result {
        guard let executable = tool.hasPrefix("/") ? tool : path(of: tool) else { throw MissingTool(tool: tool) }
        // `env -C` (GNU coreutils) changes directory in the child; posix_spawn's chdir action is not exported.
        let (program, argv) =
            currentDirectory.map { ("/usr/bin/env", ["-C", $0.path, executable] + arguments) }
            ?? (executable, arguments)
        let (inRead, inWrite) = try PeerProcess.pipe()
        let (outRead, outWrite) = try PeerProcess.pipe()
        let (errRead, errWrite) = try PeerProcess.pipe()
        let process: PeerProcess
        do {
            process = try PeerProcess(
                spawning: program, argv, stdin: inRead, stdout: outWrite, stderr: errWrite, reader: nil)
        } catch {
            [inRead, inWrite, outRead, outWrite, errRead, errWrite].forEach { close($0) }
            throw error
        }
        [inRead, outWrite, errWrite].forEach { close($0) }
        // Feed stdin and read both pipes concurrently, so a chatty tool never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            if let stdin { writeAll(stdin, to: inWrite) }
            close(inWrite)
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            outData = readAll(outRead)
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errData = readAll(errRead)
            group.leave()
        }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.send(SIGKILL)
            group.wait()
        }
        let status = process.waitUntilExit()
        return Result(
            status: status,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }

    /// ``run(_:_:stdin:currentDirectory:timeout:)`` without blocking a Swift concurrency thread.
    ///
    /// Use this when the tool talks to a server running in the test process: blocking one of the few cooperative
    /// threads while waiting for the tool could starve the very server it is calling.
    public static func runDetached(
        _ tool: String,
        _ arguments: [String],
        stdin: Data? = nil,
        currentDirectory: URL? = nil,
        timeout: TimeInterval = 300
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Swift.Result {
                        try run(tool, arguments, stdin: stdin, currentDirectory: currentDirectory, timeout: timeout)
                    })
            }
        }
    }

    /// The package's root folder (where Package.swift is), for fixtures and committed documents.
    public static func packageRoot(file: String = #filePath) -> URL {
        var url = URL(fileURLWithPath: file)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// A fresh temporary directory for one test's files, removed by the caller when done.
    public static func temporaryDirectory(_ prefix: String = "iotreg-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Reads a pipe to its end, retrying reads a signal interrupted (EINTR): Foundation's `readDataToEndOfFile()` traps
/// on EINTR, and tests that start and kill servers make SIGCHLD arrive at any moment.
/// Reads a descriptor to its end, then closes it.
func readAll(_ fd: Int32) -> Data {
    defer { close(fd) }
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            data.append(contentsOf: buffer[0..<count])
        } else if count == 0 || errno != EINTR {
            return data
        }
    }
}

/// Writes all of `data` to a descriptor (a child's stdin), giving up when the child stops reading.
func writeAll(_ data: Data, to fd: Int32) {
    data.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}

extension PeerTool {
    /// The `server:` part of an `nsd.conf` for a throw-away NSD on 127.0.0.1:`port` keeping everything in
    /// `directory` (no chroot, no user switch, no remote control); append `zone:` sections.
    public static func nsdServerSection(port: Int, directory: String) -> String {
        """
        server:
          ip-address: 127.0.0.1
          port: \(port)
          do-ip6: no
          username: ""
          chroot: ""
          zonesdir: "\(directory)"
          database: ""
          pidfile: "\(directory)/nsd.pid"
          xfrdfile: "\(directory)/xfrd.state"
          zonelistfile: "\(directory)/zone.list"
          xfrdir: "\(directory)"
          logfile: "\(directory)/nsd.log"
          verbosity: 2
          server-count: 1
        remote-control:
          control-enable: no

        """
    }
}

extension PeerTool {
    /// An unbound configuration validating `iotregistry.test.` from the DS `ds` ("<tag> <alg> <digest type> <hex>"),
    /// with a stub zone to the authoritative server on 127.0.0.1:`stubPort` (peer-tools.md §5). With `listenPort`
    /// it is a resolver daemon's (listening there, pid and log in `directory`); without, `unbound-host`'s. Writes
    /// the fake root hints it needs into `directory`.
    public static func unboundConfiguration(
        directory: URL, ds: String, stubPort: Int, listenPort: Int? = nil
    ) throws -> String {
        let d = directory.path
        try ".  3600 NS fake-root.\nfake-root. 3600 A 127.0.0.1\n".write(
            to: directory.appendingPathComponent("root.hints"), atomically: true, encoding: .utf8)
        let daemon =
            listenPort.map {
                """
                  interface: 127.0.0.1
                  port: \($0)
                  pidfile: "\(d)/unbound.pid"
                  logfile: "\(d)/unbound.log"

                """
            } ?? ""
        return """
            server:
            \(daemon)  do-ip6: no
              username: ""
              chroot: ""
              directory: "\(d)"
              use-syslog: no
              do-not-query-localhost: no
              outgoing-interface: 127.0.0.1
              root-hints: "\(d)/root.hints"
              module-config: "validator iterator"
              val-log-level: 2
              trust-anchor-signaling: no
              local-zone: "test." nodefault
              trust-anchor: "iotregistry.test. DS \(ds)"
            stub-zone:
              name: "iotregistry.test."
              stub-addr: 127.0.0.1@\(stubPort)
            remote-control:
              control-enable: no

            """
    }

    /// `unbound-host -v` for `name`/`type` with ``unboundConfiguration(directory:ds:stubPort:listenPort:)``.
    /// "(secure)" in the output means validated.
    public static func unboundHost(
        _ name: String, _ type: String, ds: String, port: Int, directory: URL
    ) async throws -> String {
        let conf = directory.appendingPathComponent("unbound-host.conf")
        try unboundConfiguration(directory: directory, ds: ds, stubPort: port).write(
            to: conf, atomically: true, encoding: .utf8)
        return try await runDetached("unbound-host", ["-C", conf.path, "-v", "-t", type, name], timeout: 60).output
    }
}
