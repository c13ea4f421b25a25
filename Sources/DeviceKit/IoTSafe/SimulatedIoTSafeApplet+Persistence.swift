import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SimulatedIoTSafeApplet {
    /// Loads the applet state file.
    static func load(_ url: URL) throws -> State {
        do {
            return try JSONDecoder().decode(State.self, from: Data(contentsOf: url))
        } catch {
            throw DeviceKitError(
                .stateFile,
                "cannot read the IoT SAFE state file \(url.path): \(type(of: error)); restore it or remove it to re-personalise"
            )
        }
    }

    /// Writes the state atomically: a 0600 temporary file in the same folder, then rename over the old one.
    ///
    /// Without `fsync`: the file outlives a killed process (the kernel holds the written pages), which is what the
    /// MNO's simulated fleet needs. An `fsync` per APDU blocked one of the few cooperative threads for the disk's
    /// latency at each key generation and delivery, and held a 100,000-eSIM fleet to about 50 devices a second.
    func saveState(_ state: State, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        let data: Data
        do {
            data = try JSONEncoder().encode(state)
        } catch {
            throw DeviceKitError(.stateFile, "cannot encode the IoT SAFE state for \(url.path): \(type(of: error))")
        }
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DeviceKitError(.stateFile, "cannot create \(temporary.path) (errno \(errno))")
        }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let n = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }
        let failure = errno
        guard close(descriptor) == 0, written else {
            unlink(temporary.path)
            throw DeviceKitError(
                .stateFile,
                "cannot write the IoT SAFE state file \(temporary.path) (errno \(written ? errno : failure))")
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw DeviceKitError(.stateFile, "cannot rename the state file into \(url.path) (errno \(errno))")
        }
    }
}
