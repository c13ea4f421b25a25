import Foundation
import Hummingbird
import RegistryCore

/// Devices: registration, reads, updates and the lifecycle.
struct DeviceController {
    let registry: Registry

    func register(on router: Router<RegistryRequestContext>) {
        router.post("/v1/devices") { request, context in
            let body = try await request.decodeJSON(CreateDeviceRequest.self, allowedKeys: CreateDeviceRequest.keys)
            let device = try await registry.registerDevice(body.core, by: context.principal)
            return try JSONResponse.make(DeviceView(device), status: .created)
        }
        router.get("/v1/devices") { request, context in
            let limit = try request.pageLimit()
            var state: DeviceState?
            if let text = request.uri.queryParameters.get("state") {
                guard let parsed = DeviceState(rawValue: text) else {
                    throw Problem(
                        status: .unprocessableContent, code: "invalid-input",
                        detail: "state must be one of \(DeviceState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                state = parsed
            }
            let cursor = request.uri.queryParameters.get("cursor").map { String($0) }
            let devices = try await registry.listDevices(
                state: state, after: cursor, limit: limit, by: context.principal)
            return try JSONResponse.make(
                Page(items: devices.map { DeviceView($0) }, next: devices.count == limit ? devices.last?.eid.digits : nil))
        }
        router.get("/v1/devices/:eid") { _, context in
            let eid = try context.parameters.require("eid")
            let device = try await registry.device(eid, by: context.principal)
            let profiles = try await registry.profiles(eid, by: context.principal)
            let provisioning = try await registry.provisioning(of: device)
            return try JSONResponse.make(DeviceView(device, profiles: profiles, provisioning: provisioning))
        }
        router.patch("/v1/devices/:eid") { request, context in
            let body = try await request.decodeJSON(PatchDeviceRequest.self, allowedKeys: PatchDeviceRequest.keys)
            let device = try await registry.updateDevice(
                try context.parameters.require("eid"), patch: body.core, by: context.principal)
            return try JSONResponse.make(DeviceView(device))
        }
        router.delete("/v1/devices/:eid") { _, context in
            let device = try await registry.apply(.delete, to: try context.parameters.require("eid"), by: context.principal)
            return try JSONResponse.make(DeviceView(device))
        }
        router.post("/v1/devices/:eid/activate") { _, context in
            let device = try await registry.activate(try context.parameters.require("eid"), by: context.principal)
            return try JSONResponse.make(DeviceView(device))
        }
        router.post("/v1/devices/:eid/deactivate") { _, context in
            let device = try await registry.apply(
                .deactivate, to: try context.parameters.require("eid"), by: context.principal)
            return try JSONResponse.make(DeviceView(device))
        }
        router.post("/v1/devices/:eid/rekey") { _, context in
            let device = try await registry.apply(.rekey, to: try context.parameters.require("eid"), by: context.principal)
            return try JSONResponse.make(DeviceView(device))
        }
        router.get("/v1/public/devices/:eid") { _, context in
            let status = try await registry.publicStatus(try context.parameters.require("eid"))
            return try JSONResponse.make(
                PublicStatusView(
                    eid: status.eid, state: status.state.rawValue, asp: status.aspName, rpid: status.rpid,
                    certificateSha256: status.certificateSHA256, spkiSha256: status.spkiSHA256))
        }
    }
}
