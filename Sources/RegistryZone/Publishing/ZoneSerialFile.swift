public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The last SOA serial the registry published, kept in a small file so the serial only moves forward across
/// restarts (secondaries ignore a zone whose serial went back, RFC 1982).
public struct ZoneSerialFile: ZoneSerialLedger {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// The stored serial, or nil when none was stored yet.
    public func read() throws -> UInt32? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let text = try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let serial = UInt32(text) else {
            throw RegistryZoneError(
                .state, "\(url.path) should hold one SOA serial (a number up to 4294967295), it holds '\(text)'")
        }
        return serial
    }

    /// Replaces the stored serial atomically (write a temporary file, fsync, rename).
    public func write(_ serial: UInt32) throws {
        let temporary = url.appendingPathExtension("tmp")
        let bytes = Array("\(serial)\n".utf8)
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else {
            throw RegistryZoneError(.state, "cannot write \(temporary.path): \(String(cString: strerror(errno)))")
        }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard written == bytes.count, rename(temporary.path, url.path) == 0 else {
            throw RegistryZoneError(.state, "cannot replace \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    /// The serial for a zone built from scratch now: after every serial published before, and at least the
    /// current Unix time, so a lost serial file still moves forward.
    public func nextSerial(now: Date = Date()) throws -> UInt32 {
        Self.serial(after: try read(), now: now)
    }

    /// Writes `serial` when it is not already the stored one (one process signs, so the position needs no record).
    public func recordPublished(serial: UInt32, position: Int64) throws {
        if try read() != serial { try write(serial) }
    }
}
