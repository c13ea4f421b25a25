/// Who is making a request, as established from an API token.
///
/// Authorisation decisions in the core take a principal, never a raw token, so every door (REST, EPP, CLI)
/// enforces the same rules.
public enum Principal: Hashable, Sendable, CustomStringConvertible {
    /// The registry operator: onboarding, keys, everything.
    case registryOperator
    /// An application/cloud service provider, acting like a registrar for its own devices.
    case asp(String)
    /// A device owner: sees its devices, authorises transfers, may deactivate.
    case owner(String)
    /// A mobile network operator: CSRs, payload delivery, only for devices on its network.
    case mno(String)
    /// The public: status lookups and CA material only.
    case anonymous

    /// The role name used in audit entries and error messages.
    public var role: String {
        switch self {
        case .registryOperator: "operator"
        case .asp: "asp"
        case .owner: "owner"
        case .mno: "mno"
        case .anonymous: "anonymous"
        }
    }

    /// The tenant id for tenant roles.
    public var tenantID: String? {
        switch self {
        case .asp(let id), .owner(let id), .mno(let id): id
        case .registryOperator, .anonymous: nil
        }
    }

    /// `role:id`, the actor recorded in the audit log.
    public var description: String {
        tenantID.map { "\(role):\($0)" } ?? role
    }
}
