public import DNSWire

/// Creates one RRSIG over one RRset (RFC 4034 §3, RFC 6605 §4).
public enum RRSetSigner {
    /// Signs `rrset` with `key`.
    ///
    /// - Parameters:
    ///   - signer: the zone apex (the RRSIG signer name, stored lowercased).
    ///   - inception: seconds since 1970 (a little in the past, see ``SigningPolicy/inceptionOffset``).
    ///   - expiration: seconds since 1970.
    /// - Returns: an RRSIG whose signature is the 64-octet r||s.
    public static func sign(
        _ rrset: RRSet, key: DNSSECKey, signer: DNSName, inception: UInt32, expiration: UInt32
    ) throws -> RRSIG {
        var rrsig = RRSIG(
            typeCovered: rrset.type, algorithm: .ecdsaP256SHA256, labels: CanonicalRRSet.rrsigLabels(for: rrset.name),
            originalTTL: rrset.ttl, expiration: expiration, inception: inception, keyTag: key.keyTag,
            signerName: signer.lowercased(), signature: [])
        rrsig.signature = try key.sign(CanonicalRRSet.signingInput(rrset: rrset, rrsig: rrsig))
        return rrsig
    }
}
