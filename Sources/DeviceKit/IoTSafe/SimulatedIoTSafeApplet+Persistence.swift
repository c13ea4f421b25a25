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
    func saveState(_ state: State, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        do {
            let data = try JSONEncoder().encode(state)
            _ = try? FileManager.default.removeItem(at: temporary)
            guard
                FileManager.default.createFile(
                    atPath: temporary.path,
                    contents: data,
                    attributes: [.posixPermissions: 0o600]
                )
            else {
                throw DeviceKitError(.stateFile, "cannot create \(temporary.path)")
            }
            guard rename(temporary.path, url.path) == 0 else {
                throw DeviceKitError(.stateFile, "cannot rename the state file into \(url.path) (errno \(errno))")
            }
        } catch let error as DeviceKitError {
            throw error
        } catch {
            throw DeviceKitError(.stateFile, "cannot write the IoT SAFE state file \(url.path): \(type(of: error))")
        }
    }
}
