import Foundation
import Hummingbird
import RegistryCore

/// Onboarding: ASPs, owners and MNOs, and the client certificates ASPs present on EPP logins.
struct TenantController {
    let registry: Registry

    func register(on router: Router<RegistryRequestContext>) {
        router.post("/v1/asps") { request, context in
            let body = try await request.decodeJSON(CreateASPRequest.self, allowedKeys: CreateASPRequest.keys)
            let result = try await registry.createASP(
                NewASP(
                    name: body.name, fqdn: body.fqdn, port: body.port, url: body.url,
                    transportProtocol: body.protocol, serverCertificatePEM: body.serverCertificate),
                by: context.principal)
            return try JSONResponse.make(OnboardingView(id: result.id, token: result.token.secret), status: .created)
        }
        router.get("/v1/asps") { request, context in
            let limit = try request.pageLimit()
            let asps = try await registry.listASPs(
                after: request.uri.queryParameters.get("cursor"), limit: limit, by: context.principal)
            return try JSONResponse.make(
                Page(items: asps.map(ASPView.init), next: asps.count == limit ? asps.last?.id : nil))
        }
        router.get("/v1/asps/:id") { _, context in
            let asp = try await registry.asp(id: try context.parameters.require("id"), by: context.principal)
            return try JSONResponse.make(ASPView(asp))
        }
        router.post("/v1/asps/:id/certificates") { request, context in
            let pem = try await request.bodyText(limit: 64 * 1024)
            let certificate = try await registry.addClientCertificate(
                aspID: try context.parameters.require("id"), pem: pem, by: context.principal)
            return try JSONResponse.make(["asp": certificate.aspID, "sha256": certificate.sha256], status: .created)
        }
        for kind in [TenantKind.owner, .mno] {
            router.post("/v1/\(kind.rawValue)s") { request, context in
                let body = try await request.decodeJSON(NameRequest.self, allowedKeys: NameRequest.keys)
                let result = try await registry.createTenant(kind: kind, name: body.name, by: context.principal)
                return try JSONResponse.make(
                    OnboardingView(id: result.id, token: result.token.secret), status: .created)
            }
        }
    }
}
