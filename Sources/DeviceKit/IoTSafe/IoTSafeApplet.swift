// ISO/IEC 7816-4 short APDUs as IoT SAFE uses them (GSMA IoT.05):
//   command  CLA INS P1 P2 [Lc data] [Le]        CLA low 2 bits = logical channel
//   response [data] SW1 SW2

/// An IoT SAFE applet reached over APDUs: the seam between device middleware and the eSIM.
///
/// Real devices reach it through the modem (`AT+CSIM`); tests and the demo use ``SimulatedIoTSafeApplet``. The
/// applet's private keys never cross this interface: it signs, agrees keys and gives random bytes.
public protocol IoTSafeApplet: Sendable {
    /// Sends one command APDU and returns the response: data followed by SW1 SW2.
    ///
    /// Transport failures throw; applet-level failures come back as status words.
    func transmit(_ apdu: [UInt8]) throws -> [UInt8]
}

/// An ISO 7816-4 / IoT SAFE status word. An open set: unknown values are kept.
public struct IoTSafeStatusWord: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Success.
    public static let ok = Self(rawValue: 0x9000)
    /// Remote administration completed.
    public static let remoteAdminCompleted = Self(rawValue: 0x63CF)
    /// Wrong length (Lc/Le or a TLV length).
    public static let wrongLength = Self(rawValue: 0x6700)
    /// Security status not satisfied (the object's access conditions forbid this).
    public static let securityStatusNotSatisfied = Self(rawValue: 0x6982)
    /// Data invalidated: remote administration in progress.
    public static let remoteAdminInProgress = Self(rawValue: 0x6984)
    /// Conditions of use not satisfied (empty key container, no session, peer key not loaded …).
    public static let conditionsNotSatisfied = Self(rawValue: 0x6985)
    /// Incorrect data in the command.
    public static let incorrectData = Self(rawValue: 0x6A80)
    /// Application (AID) or file not found.
    public static let fileNotFound = Self(rawValue: 0x6A82)
    /// Not enough memory in the container.
    public static let notEnoughMemory = Self(rawValue: 0x6A84)
    /// Wrong P1/P2.
    public static let wrongParameters = Self(rawValue: 0x6A86)
    /// Referenced data (key or file container) not found.
    public static let referencedDataNotFound = Self(rawValue: 0x6A88)
    /// Instruction not supported.
    public static let instructionNotSupported = Self(rawValue: 0x6D00)
    /// Signature verification failed (IoT SAFE).
    public static let signatureMismatch = Self(rawValue: 0x6D01)
    /// Class not supported.
    public static let classNotSupported = Self(rawValue: 0x6E00)
    /// Unknown error.
    public static let unknown = Self(rawValue: 0x6F00)

    public var description: String { String(rawValue, radix: 16, uppercase: true) }
}
