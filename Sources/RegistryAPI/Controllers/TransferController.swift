import Foundation
import Hummingbird
import RegistryCore

/// Transfers between ASPs, authorised by the owner's one-time code (EPP's authInfo).
struct TransferController {
    let registry: Registry

    func register(on router: Router<RegistryRequestContext>) {
        router.post("/v1/devices/:eid/transfer-code") { _, context in
            let issued = try await registry.issueTransferCode(
                for: [try context.parameters.require("eid")], by: context.principal)
            return try JSONResponse.make(view(issued), status: .created)
        }
        router.post("/v1/transfer-codes") { request, context in
            let body = try await request.decodeJSON(
                TransferCodesRequest.self, allowedKeys: TransferCodesRequest.keys, limit: 64 << 20)
            let issued = try await registry.issueTransferCode(for: body.eids, by: context.principal)
            return try JSONResponse.make(view(issued), status: .created)
        }
        router.post("/v1/devices/:eid/transfer") { request, context in
            let body = try await request.decodeJSON(TransferRequest.self, allowedKeys: TransferRequest.keys)
            let device = try await registry.requestTransfer(
                try context.parameters.require("eid"), authCode: body.authCode, by: context.principal)
            return try JSONResponse.make(
                DeviceView(device), status: device.state == .transferPending ? .accepted : .ok)
        }
        router.post("/v1/devices/:eid/transfer/approve") { _, context in
            try JSONResponse.make(
                DeviceView(
                    try await registry.approveTransfer(try context.parameters.require("eid"), by: context.principal)))
        }
        router.post("/v1/devices/:eid/transfer/reject") { _, context in
            try JSONResponse.make(
                DeviceView(
                    try await registry.rejectTransfer(try context.parameters.require("eid"), by: context.principal)))
        }
        router.post("/v1/devices/:eid/transfer/cancel") { _, context in
            try JSONResponse.make(
                DeviceView(
                    try await registry.cancelTransfer(try context.parameters.require("eid"), by: context.principal)))
        }
    }

    func view(_ issued: IssuedTransferCode) -> TransferCodeView {
        TransferCodeView(authCode: issued.code, eids: issued.eids.map(\.digits), expiresAt: issued.expiresAt)
    }
}
