/// The XML namespaces this server speaks.
public enum EPPNamespace {
    /// EPP core, RFC 5730 §4 (`epp-1.0.xsd`).
    public static let epp = "urn:ietf:params:xml:ns:epp-1.0"
    /// EPP common types, RFC 5730 §4 (`eppcom-1.0.xsd`).
    public static let eppcom = "urn:ietf:params:xml:ns:eppcom-1.0"
    /// The IoT device object mapping (`Schemas/iotdevice-1.0.xsd`), modelled on the domain mapping (RFC 5731).
    ///
    /// Chosen in the IETF URN space the way EPP mappings are drafted (RFC 3735 §2.2.1); it is not registered with
    /// IANA. Clients list it as an `objURI` at login, and commands on device objects use it.
    public static let iotDevice = "urn:ietf:params:xml:ns:iotdevice-1.0"
    /// The prefix responses use for ``iotDevice``.
    public static let iotDevicePrefix = "iotdev"
}
