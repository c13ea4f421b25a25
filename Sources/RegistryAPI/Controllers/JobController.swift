import Foundation
import Hummingbird
import RegistryCore

/// Bulk jobs: JSON or the portal's CSV in, a job with progress and per-item results out.
struct JobController {
    let registry: Registry
    /// Starts processing a submitted job in the background.
    let scheduler: JobScheduler

    func register(on router: Router<RegistryRequestContext>) {
        router.post("/v1/jobs") { request, context in
            let job: Job
            let contentType = request.headers[.contentType]?.lowercased() ?? "application/json"
            if contentType.hasPrefix("text/csv") {
                let query = request.uri.queryParameters
                guard let operationText = query.get("operation"), let operation = JobOperation(rawValue: operationText)
                else {
                    throw Problem(
                        status: .unprocessableContent, code: "invalid-input",
                        detail: "a CSV job needs ?operation= one of "
                            + JobOperation.allCases.map(\.rawValue).joined(separator: ", "))
                }
                let items = try DeviceCSV.parse(try await request.bodyText(limit: 512 << 20))
                job = try await registry.submitJob(
                    operation, items: items,
                    defaults: JobDefaults(owner: query.get("owner"), mno: query.get("mno")), by: context.principal)
            } else {
                let body = try await request.decodeJSON(JobRequest.self, allowedKeys: JobRequest.keys, limit: 512 << 20)
                let items = body.items.map {
                    JobItemInput(
                        eid: $0.eid, iccid: $0.iccid, owner: $0.owner, mno: $0.mno, model: $0.model, serial: $0.serial,
                        firmwareVersion: $0.firmwareVersion, mudURL: $0.mudUrl, authCode: $0.authCode)
                }
                job = try await registry.submitJob(
                    body.operation, items: items,
                    defaults: JobDefaults(owner: body.owner, mno: body.mno, authCode: body.authCode),
                    by: context.principal)
            }
            await scheduler.enqueue(job.id)
            var response = try JSONResponse.make(JobView(job), status: .accepted)
            response.headers[.location] = "/v1/jobs/\(job.id)"
            return response
        }
        router.get("/v1/jobs/:id") { _, context in
            try JSONResponse.make(JobView(try await registry.job(id: try context.parameters.require("id"), by: context.principal)))
        }
        router.get("/v1/jobs/:id/items") { request, context in
            let limit = try request.pageLimit()
            var after = -1
            if let cursor = request.uri.queryParameters.get("cursor") {
                guard let value = Int(cursor), value >= -1 else {
                    throw Problem(status: .unprocessableContent, code: "invalid-input", detail: "cursor must be an item index")
                }
                after = value
            }
            let items = try await registry.jobItems(
                id: try context.parameters.require("id"), after: after, limit: limit, by: context.principal)
            return try JSONResponse.make(
                Page(items: items.map(JobItemView.init), next: items.count == limit ? items.last.map { String($0.index) } : nil))
        }
    }
}
