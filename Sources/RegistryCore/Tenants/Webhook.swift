public import Foundation

/// Where a tenant (an ASP, or an MNO) wants to be told of its devices' changes.
///
/// Only the URL is stored. The HMAC key that signs each notification is derived by the host from the operator
/// secret, the tenant and the URL (see `WebhookSigner` in `RegistryProvisioning`), so no shared secret sits in the
/// database; registering the URL again answers the same key, and a new URL gets a new key.
public struct Webhook: Codable, Hashable, Sendable {
    public var tenantID: String
    public var url: String
    public var createdAt: Date

    public init(tenantID: String, url: String, createdAt: Date) {
        self.tenantID = tenantID
        self.url = url
        self.createdAt = createdAt
    }
}
