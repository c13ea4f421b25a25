public import Foundation

extension Registry {
    /// `PUT /v1/asps/{id}/webhook`: the operator or the ASP itself sets the URL its notifications go to. Only
    /// `https`, or `http` to a loopback address (tests, a sidecar), is accepted.
    public func setWebhook(tenantID: String, url: String, by principal: Principal) async throws -> Webhook {
        guard principal == .registryOperator || principal.tenantID == tenantID,
            try await tenantKind(tenantID) == .asp
        else {
            throw RegistryError.notFound("no ASP '\(tenantID)' visible to you")
        }
        guard url.count <= 2048, let parsed = URL(string: url), let host = parsed.host, !host.isEmpty,
            parsed.scheme == "https" || (parsed.scheme == "http" && ["127.0.0.1", "::1", "localhost"].contains(host))
        else {
            throw RegistryError.invalidInput(
                "the webhook URL must be https://… (or http:// to a loopback address), at most 2048 characters")
        }
        let webhook = Webhook(tenantID: tenantID, url: url, createdAt: now)
        var changes = ChangeSet()
        changes.webhooks.append(webhook)
        changes.audit.append(
            AuditDraft(
                at: now, actor: principal.description, action: "webhook.set", target: "asp:\(tenantID)",
                details: Self.details(["url": url])))
        try await store.commit(changes)
        return webhook
    }

    /// The tenant's webhook, if it set one.
    public func webhook(tenantID: String) async throws -> Webhook? {
        try await store.webhook(tenantID: tenantID)
    }
}
