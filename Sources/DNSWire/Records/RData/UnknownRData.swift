// RFC 3597 §5: presentation `\# <length> <hex>`; wire: the RDATA octets as they are.

/// RDATA of a type this library does not model, kept as opaque octets (RFC 3597).
public struct UnknownRData: Hashable, Sendable {
    /// The record type the octets belong to.
    public var type: RecordType
    public var data: [UInt8]

    public init(type: RecordType, data: [UInt8]) {
        self.type = type
        self.data = data
    }

    /// The generic presentation form, `\# len hex`.
    public var presentation: String {
        data.isEmpty ? "\\# 0" : "\\# \(data.count) \(Base16.encode(data))"
    }
}
