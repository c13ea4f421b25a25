public import DeviceKit

extension SimulatedESIM {
    /// The applet session the device's own middleware signs through (the TLS client key stays in the applet);
    /// the MNO's over-the-air work and the device's TLS share the one eSIM, as on a real module.
    public nonisolated var iotSafe: IoTSafeClient { client }
}
