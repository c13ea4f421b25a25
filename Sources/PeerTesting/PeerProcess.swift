public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A peer tool or a server under test, started with `posix_spawn` instead of Foundation's `Process`.
///
/// Why: on Linux, `Process.run()` scans `/proc/self/fd` with a 256-byte copy of every `dirent`, which reads past
/// glibc's buffer when a short entry sits at the end of a page (swift-corelibs-foundation PR #5472, still in
/// 6.3). A test process holds many descriptors (servers, clients, pipes), and the copy then crashes it at random:
/// CI saw "Bad pointer dereference" in `memcpy` under `Process.run()`. Here every descriptor we make is
/// close-on-exec, so a child inherits only its standard streams, and nothing scans `/proc`.
public final class PeerProcess: Sendable {
    /// Where a child's output goes.
    public enum Output: Sendable {
        /// Discarded (`/dev/null`).
        case null
        /// Appended to a file.
        case file(URL)
        /// A pipe the test reads (``standardOutput``); for standard error, the same as `.null`.
        case pipe
    }

    public let processIdentifier: pid_t
    /// The read end of the child's standard output when it was started with `.pipe`.
    public let standardOutput: FileHandle?
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments`; standard input is `/dev/null`.
    public convenience init(
        executable: String, arguments: [String], standardOutput: Output = .null, standardError: Output = .null
    ) throws {
        let input = try Self.open("/dev/null", O_RDONLY)
        defer { close(input) }
        let (out, outReader) = try Self.descriptor(for: standardOutput)
        defer { close(out) }
        // Only standard output can be read back (``standardOutput``); a piped standard error is discarded.
        let errorTarget: Output = if case .pipe = standardError { .null } else { standardError }
        let (err, _) = try Self.descriptor(for: errorTarget)
        defer { close(err) }
        try self.init(spawning: executable, arguments, stdin: input, stdout: out, stderr: err, reader: outReader)
    }

    init(spawning executable: String, _ arguments: [String], stdin: Int32, stdout: Int32, stderr: Int32, reader: Int32?)
        throws
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the target, so the child keeps exactly these three.
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        Self.closeFrom3?(&actions, 3)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard status == 0 else {
            if let reader { close(reader) }
            throw PeerProcessError("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        processIdentifier = pid
        standardOutput = reader.map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
    }

    /// Whether the child is still running (reaps it when it has exited).
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// The exit code, or the number of the signal that ended it; -1 while it runs.
    public var terminationStatus: Int32 { reap(blocking: false) ?? -1 }

    /// Waits for the child to exit, blocking the calling thread (never call it from a Swift concurrency thread).
    @discardableResult
    public func waitUntilExit() -> Int32 { reap(blocking: true) ?? -1 }

    /// Sends `signal` to the child.
    public func send(_ signal: Int32) { if isRunning { kill(processIdentifier, signal) } }

    /// SIGKILL, then waits (bounded) until the process is gone.
    public func kill9() async {
        send(SIGKILL)
        for _ in 0..<50 where isRunning { try? await Task.sleep(for: .milliseconds(100)) }
    }

    /// Stops a peer daemon (or a server under test) and the processes it forked (NSD forks its servers), never
    /// waiting unboundedly: SIGTERM to all, up to 3 s of grace, then SIGKILL.
    public func stopPeer() async {
        guard isRunning else { return }
        let pid = processIdentifier
        let children = ((try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? "")
            .split(separator: " ").compactMap { Int32($0) }
        for p in [pid] + children { kill(p, SIGTERM) }
        for _ in 0..<30 where isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        for p in [pid] + children { kill(p, SIGKILL) }
        for _ in 0..<20 where isRunning { try? await Task.sleep(for: .milliseconds(50)) }
    }

    /// For `defer`, which cannot wait: SIGKILL without waiting.
    public func abandon() { send(SIGKILL) }

    /// The first line the child writes to its piped standard output (for servers that print their port).
    public func firstLine() async -> String {
        guard let standardOutput else { return "" }
        return await Task.detached {
            var line: [UInt8] = []
            while !line.contains(0x0A) {
                let chunk = standardOutput.availableData
                if chunk.isEmpty { break }
                line += chunk
            }
            return String(decoding: line, as: UTF8.self)
        }.value
    }

    private func reap(blocking: Bool) -> Int32? {
        exitStatus.withLock { exit in
            if let exit { return exit }
            var status: Int32 = 0
            var result: pid_t
            repeat {
                result = waitpid(processIdentifier, &status, blocking ? 0 : WNOHANG)
            } while result < 0 && errno == EINTR
            guard result == processIdentifier else { return nil }
            // <sys/wait.h>: exited when the low 7 bits are 0, with the code in the next byte; else signalled.
            exit = status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
            return exit
        }
    }

    // MARK: - descriptors

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not export.
    private static let closeFrom3:
        (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
            else { return nil }
            return unsafeBitCast(
                symbol,
                to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        }()

    /// `pipe2`, atomic close-on-exec (not exported by Swift's Glibc module either).
    private static let pipe2: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
    }()

    static func open(_ path: String, _ flags: Int32) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PeerProcessError("cannot open \(path): \(String(cString: strerror(errno)))") }
        return fd
    }

    /// A close-on-exec pipe: (read end, write end).
    static func pipe() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        let made =
            if let pipe2 = Self.pipe2 {
                pipe2(&fds, O_CLOEXEC)
            } else {
                Glibc.pipe(&fds) == 0 && fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0
                    && fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0 ? Int32(0) : Int32(-1)
            }
        guard made == 0 else { throw PeerProcessError("cannot make a pipe: \(String(cString: strerror(errno)))") }
        return (fds[0], fds[1])
    }

    /// The descriptor the child writes to, and the read end the test keeps for `.pipe`.
    private static func descriptor(for output: Output) throws -> (Int32, Int32?) {
        switch output {
        case .null: return (try open("/dev/null", O_WRONLY), nil)
        case .file(let url): return (try open(url.path, O_WRONLY | O_CREAT | O_APPEND), nil)
        case .pipe:
            let (reader, writer) = try pipe()
            return (writer, reader)
        }
    }
}

/// A child process could not be started.
public struct PeerProcessError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
