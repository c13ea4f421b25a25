/// Writes the eSIM's file containers from outside the applet: the MNO's remote file management over the air.
///
/// The applet has no host-side write APDU, so accepting a payload ends with this path (simulated by
/// ``SimulatedIoTSafeApplet/writeFiles(_:)``; on a real device, the MNO's OTA platform after the device's go-ahead).
public protocol IoTSafeFileWriter: Sendable {
    /// Replaces the content of the given file containers, all or none.
    func writeFiles(_ files: [UInt8: [UInt8]]) throws
}
