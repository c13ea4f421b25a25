public import DNSWire

/// Something that sends one DNS question and returns the response message, unvalidated.
///
/// ``DNSOverTLSClient`` is the production transport; tests wrap it to tamper with answers. The response must
/// answer the question asked (same name, type and class); everything else is the validator's business.
public protocol DNSTransport: Sendable {
    /// Asks `type` records of `name` with EDNS0 DO set, so signatures and NSEC proofs come back.
    func query(_ name: DNSName, _ type: RecordType) async throws -> Message
}
