import Foundation

// POST /v1/mno/tasks/{id}/result, one of:
//   {"outcome":"csr", "csr":"-----BEGIN CERTIFICATE REQUEST-----…", "keyAgreementPublicKey":"<base64, 65 bytes>"}
//   {"outcome":"delivered", "payloadSequence":N}
//   {"outcome":"wiped"}
//   {"outcome":"failed", "reason":"text", "retry":true|false}

/// What the MNO answers for one task.
public enum MNOTaskResult: Hashable, Sendable, Codable {
    /// `generate-key` done: the CSR (PEM) and the eSIM's key-agreement public key (65-byte X9.63 point).
    case csr(pem: String, keyAgreementPublicKey: [UInt8])
    /// `deliver-payload` done: the eSIM accepted (or already held) the payload with this sequence.
    case delivered(payloadSequence: UInt64)
    /// `wipe` done.
    case wiped
    /// The task could not be done; `retry` says whether offering it again may help.
    case failed(reason: String, retry: Bool)

    /// The `outcome` member.
    public var outcome: String {
        switch self {
        case .csr: "csr"
        case .delivered: "delivered"
        case .wiped: "wiped"
        case .failed: "failed"
        }
    }

    private enum Keys: String, CodingKey {
        case outcome, csr, keyAgreementPublicKey, payloadSequence, reason, retry
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(outcome, forKey: .outcome)
        switch self {
        case .csr(let pem, let key):
            try container.encode(pem, forKey: .csr)
            try container.encode(Data(key).base64EncodedString(), forKey: .keyAgreementPublicKey)
        case .delivered(let sequence):
            try container.encode(sequence, forKey: .payloadSequence)
        case .wiped:
            break
        case .failed(let reason, let retry):
            try container.encode(reason, forKey: .reason)
            try container.encode(retry, forKey: .retry)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        switch try container.decode(String.self, forKey: .outcome) {
        case "csr":
            let base64 = try container.decode(String.self, forKey: .keyAgreementPublicKey)
            guard let key = Data(base64Encoded: base64) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .keyAgreementPublicKey, in: container, debugDescription: "not base64")
            }
            self = .csr(pem: try container.decode(String.self, forKey: .csr), keyAgreementPublicKey: Array(key))
        case "delivered":
            self = .delivered(payloadSequence: try container.decode(UInt64.self, forKey: .payloadSequence))
        case "wiped":
            self = .wiped
        case "failed":
            self = .failed(
                reason: try container.decode(String.self, forKey: .reason),
                retry: try container.decode(Bool.self, forKey: .retry)
            )
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .outcome, in: container, debugDescription: "unknown outcome '\(other)'")
        }
    }
}
