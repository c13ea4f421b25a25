public import Foundation
import Synchronization

/// The registry's use cases: onboarding, device lifecycle, transfers, bulk jobs, audit.
///
/// Every door (REST, EPP, CLI, the MNO channel) calls these with a ``Principal``; authorisation, the lifecycle
/// table, the audit log and the outbox are enforced here once. Each use case plans a ``ChangeSet`` against the
/// store and commits it atomically; a plan computed from data that changed meanwhile is retried, never applied.
public final class Registry: Sendable {
    public let store: any RegistryStore
    public let configuration: RegistryConfiguration
    /// The certificate authority; nil in registries that issue no certificates (the certificate use cases then
    /// answer `unavailable`).
    public let pki: RegistryPKI?
    let clock: @Sendable () -> Date
    private let principalCache = Mutex<[String: Principal]>([:])
    private let tenantCache = Mutex<[String: TenantKind]>([:])

    public init(
        store: any RegistryStore, configuration: RegistryConfiguration = .init(), pki: RegistryPKI? = nil,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.configuration = configuration
        self.pki = pki
        self.clock = clock
    }

    /// The current time as the registry sees it (injectable for tests), in whole milliseconds: the precision every
    /// store keeps, so what a use case answers equals what a later read returns, and time comparisons made in the
    /// core agree with the ones the store makes.
    public var now: Date {
        Date(timeIntervalSince1970: (clock().timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    // MARK: - authentication

    /// The principal a bearer token stands for.
    ///
    /// - Throws: ``RegistryError`` `unauthenticated` for an unknown token.
    public func authenticate(token: String) async throws -> Principal {
        let hash = APIToken.hash(token)
        if let cached = principalCache.withLock({ $0[hash] }) { return cached }
        guard let principal = try await store.principal(tokenHash: hash) else {
            throw RegistryError.unauthenticated("the bearer token is not known to this registry")
        }
        principalCache.withLock { $0[hash] = principal }
        return principal
    }

    // MARK: - planning and committing

    /// Plans with a fresh context and commits, retrying a few times when a concurrent change won the race.
    func execute<T: Sendable>(_ plan: (PlanContext) async throws -> (ChangeSet, T)) async throws -> T {
        var attempt = 0
        while true {
            let context = PlanContext(store: store, now: now)
            let (changes, result) = try await plan(context)
            do {
                if !changes.isEmpty { try await store.commit(changes) }
                return result
            } catch let error as RegistryError where error.code == .conflict && attempt < 5 {
                attempt += 1
            }
        }
    }

    // MARK: - tenants (cached: tenants are never deleted)

    func tenantKind(_ id: String) async throws -> TenantKind? {
        if let kind = tenantCache.withLock({ $0[id] }) { return kind }
        let kind: TenantKind?
        if try await store.asp(id: id) != nil {
            kind = .asp
        } else {
            kind = try await store.namedTenant(id: id)?.kind
        }
        if let kind { tenantCache.withLock { $0[id] = kind } }
        return kind
    }

    func requireTenant(_ id: String, kind: TenantKind, field: String) async throws {
        guard try await tenantKind(id) == kind else {
            throw RegistryError.invalidInput("\(field) '\(id)' is not an onboarded \(kind.rawValue)")
        }
    }

    // MARK: - helpers

    static func details(_ fields: [String: String?]) -> String {
        let present = fields.compactMapValues { $0 }
        guard let data = try? JSONSerialization.data(withJSONObject: present, options: [.sortedKeys]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func parseEID(_ text: String) throws -> EID { try EID(text) }
}
