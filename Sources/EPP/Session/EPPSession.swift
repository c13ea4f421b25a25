import Foundation
import Logging
import RegistryCore

/// One EPP session: frames in, responses out, one command at a time (RFC 5734 §3).
///
/// Every object command is one call into ``Registry`` with the logged-in ASP as the principal, so authorisation,
/// the lifecycle table, the audit log and the outbox are exactly those of REST. Errors are mapped to result codes
/// here and only here.
public actor EPPSession {
    /// The answer to one frame.
    public struct Reply: Sendable {
        public var bytes: [UInt8]
        /// Close the connection once the bytes are written (logout, 2501, hostile input).
        public var closesSession: Bool
    }

    private let service: EPPService
    private var clientCertificateSHA256: String?
    private var machine: EPPSessionStateMachine

    init(service: EPPService, clientCertificateSHA256: String?) {
        self.service = service
        self.clientCertificateSHA256 = clientCertificateSHA256
        self.machine = EPPSessionStateMachine(maxLoginFailures: service.maxLoginFailures)
    }

    /// The state, for tests and logs.
    public var state: EPPSessionStateMachine.State { machine.state }

    /// Sets the TLS client certificate fingerprint once the handshake has completed.
    public func setClientCertificate(sha256: String?) {
        clientCertificateSHA256 = sha256
    }

    /// Handles one frame's payload (the bytes after the 4-byte length).
    public func handle(_ frame: [UInt8]) async -> Reply {
        let outcome = service.decoder.decode(frame)
        let request: EPPRequest
        switch outcome.result {
        case .success(let decoded):
            request = decoded
        case .failure(let error):
            if error.code.closesSession { machine.abort() }
            return reply(
                EPPResponse(
                    code: error.code.resultCode, reason: error.reason, clTRID: outcome.clTRID,
                    svTRID: service.nextServerTransactionID()),
                close: error.code.closesSession)
        }
        let clTRID = outcome.clTRID
        switch machine.requestReceived(request) {
        case .ignore:
            return Reply(bytes: [], closesSession: true)
        case .greet:
            return Reply(bytes: service.greeting(), closesSession: false)
        case .refuse(let code, let reason):
            return reply(response(code, reason: reason, clTRID: clTRID), close: false)
        case .logout:
            return reply(response(.successEndingSession, clTRID: clTRID), close: true)
        case .login:
            guard case .command(.login(let login), _) = request else {
                return reply(response(.commandFailed, clTRID: clTRID), close: false)
            }
            return await self.login(login, clTRID: clTRID)
        case .run(let aspID):
            guard case .command(let command, _) = request else {
                return reply(response(.commandFailed, clTRID: clTRID), close: false)
            }
            let result = await run(command, principal: .asp(aspID), clTRID: clTRID)
            return reply(result, close: false)
        }
    }

    // MARK: - login

    private func login(_ login: EPPCommand.Login, clTRID: String?) async -> Reply {
        guard login.version == "1.0" else {
            return reply(
                response(.unimplementedProtocolVersion, reason: "this server speaks EPP 1.0", clTRID: clTRID),
                close: false)
        }
        guard login.language == "en" else {
            return reply(
                response(.unimplementedOption, reason: "the only language is en", clTRID: clTRID), close: false)
        }
        guard login.newPassword == nil else {
            return reply(
                response(
                    .unimplementedOption, reason: "tokens are not changed over EPP; ask the operator for a new one",
                    clTRID: clTRID), close: false)
        }
        let reason: String
        do {
            let principal = try await service.registry.authenticate(token: login.password)
            if principal != .asp(login.clientID) {
                reason = "clID and pw do not name the same ASP"
            } else if let sha256 = clientCertificateSHA256 {
                if try await service.registry.hasClientCertificate(
                    aspID: login.clientID, sha256: sha256, by: principal)
                {
                    machine.loginSucceeded(aspID: login.clientID)
                    service.logger.info("EPP login", metadata: ["asp": "\(login.clientID)"])
                    return reply(response(.success, clTRID: clTRID), close: false)
                }
                reason =
                    "the TLS client certificate (sha256 \(sha256)) is not registered for this ASP; register it with "
                    + "POST /v1/asps/{id}/certificates"
            } else {
                reason = "a TLS client certificate registered for this ASP is required"
            }
        } catch {
            reason = "clID and pw do not name the same ASP"
        }
        service.logger.notice("EPP login refused", metadata: ["clID": "\(login.clientID.prefix(64))"])
        switch machine.loginFailed() {
        case .answer:
            return reply(response(.authenticationError, reason: reason, clTRID: clTRID), close: false)
        case .answerAndClose:
            return reply(response(.authenticationErrorClosing, reason: reason, clTRID: clTRID), close: true)
        }
    }

    // MARK: - commands

    private func run(_ command: EPPCommand, principal: Principal, clTRID: String?) async -> EPPResponse {
        let registry = service.registry
        var subjectEID: String?
        do {
            switch command {
            case .login, .logout:
                return response(.commandUseError, clTRID: clTRID)

            case .pollRequest:
                guard case .asp(let aspID) = principal,
                    let (message, count) = try await service.pollQueue.head(for: aspID)
                else { return response(.successNoMessages, clTRID: clTRID) }
                var result = response(.successAckToDequeue, clTRID: clTRID)
                result.messageQueue = .init(
                    count: count, id: String(message.id), queuedAt: message.queuedAt, message: message.text)
                result.resultData = message.data
                return result

            case .pollAcknowledge(let id):
                guard case .asp(let aspID) = principal else { return response(.authorizationError, clTRID: clTRID) }
                let remaining = try await service.pollQueue.acknowledge(id, for: aspID)
                var result = response(.success, clTRID: clTRID)
                result.messageQueue = .init(count: remaining, id: id)
                return result

            case .check(let eids):
                try validateEIDs(eids, subject: &subjectEID)
                let answers = try await registry.availability(of: eids, by: principal)
                return response(
                    .success,
                    data: .check(
                        answers.map { .init(eid: $0.eid.digits, available: $0.free, reason: $0.free ? nil : "In use") }),
                    clTRID: clTRID)

            case .info(let eid, let authInfo):
                try validateEIDs([eid], subject: &subjectEID)
                let device =
                    if let authInfo {
                        try await registry.device(eid, authCode: authInfo, by: principal)
                    } else {
                        try await registry.device(eid, by: principal)
                    }
                var info = Self.info(device)
                // Only an active device (or one pending transfer) holds a good certificate; skip the read otherwise.
                if device.state == .active || device.state == .transferPending {
                    info.certificate = try await registry.store.currentCertificate(eid: device.eid)?.der
                }
                return response(.success, data: .info(info), clTRID: clTRID)

            case .create(let create):
                try validateEIDs([create.eid], subject: &subjectEID)
                let device = try await registry.registerDevice(
                    NewDevice(
                        eid: create.eid, iccid: create.iccid, owner: create.owner, mno: create.mno,
                        model: create.model, serial: create.serial, firmwareVersion: create.firmwareVersion,
                        mudURL: create.mudURL),
                    by: principal)
                return response(
                    .success, data: .create(eid: device.eid.digits, createdAt: device.createdAt), clTRID: clTRID)

            case .update(let update):
                try validateEIDs([update.eid], subject: &subjectEID)
                return try await self.update(update, principal: principal, clTRID: clTRID)

            case .delete(let eid):
                try validateEIDs([eid], subject: &subjectEID)
                _ = try await registry.apply(.delete, to: eid, by: principal)
                return response(.success, clTRID: clTRID)

            case .transfer(let op, let eid, let authInfo):
                try validateEIDs([eid], subject: &subjectEID)
                return try await transfer(op, eid: eid, authInfo: authInfo, principal: principal, clTRID: clTRID)

            case .list(let list):
                let state = list.status.map(Self.state(of:))
                let devices = try await registry.listDevices(
                    state: state, after: list.after, limit: list.limit + 1, by: principal)
                let page = devices.prefix(list.limit)
                return response(
                    .success,
                    data: .list(
                        page.map { .init(eid: $0.eid.digits, status: Self.status(of: $0.state)) },
                        next: devices.count > list.limit ? page.last?.eid.digits : nil),
                    clTRID: clTRID)
            }
        } catch let error as EPPError {
            return response(error.code.resultCode, reason: error.reason, eid: subjectEID, clTRID: clTRID)
        } catch let error as RegistryError {
            return response(
                Self.resultCode(for: error, in: command), reason: error.reason, eid: subjectEID, clTRID: clTRID)
        } catch {
            service.logger.error("EPP command failed", metadata: ["error": "\(error)"])
            return response(.commandFailed, reason: "internal error; try again", clTRID: clTRID)
        }
    }

    private func update(_ update: EPPCommand.Update, principal: Principal, clTRID: String?) async throws -> EPPResponse
    {
        let statusChanges = update.add.map { (true, $0) } + update.remove.map { (false, $0) }
        if let change = update.change {
            guard statusChanges.isEmpty else {
                throw EPPError(.policy, "send status changes and field changes in separate updates (each is atomic)")
            }
            _ = try await service.registry.updateDevice(
                update.eid,
                patch: DevicePatch(
                    iccid: change.iccid, owner: change.owner, mno: change.mno, model: change.model,
                    serial: change.serial, firmwareVersion: change.firmwareVersion, mudURL: change.mudURL),
                by: principal)
            return response(.success, clTRID: clTRID)
        }
        guard statusChanges.count == 1, let (isAdd, status) = statusChanges.first else {
            throw EPPError(.policy, "change one status per update")
        }
        let event: DeviceEvent
        switch (isAdd, status) {
        case (true, .clientHold): event = .deactivate
        case (false, .clientHold): event = .reactivate
        case (false, .inactive): event = .activate
        default:
            throw EPPError(
                .policy,
                "status \(status) is set by the server; use rem inactive (activate), add clientHold (deactivate) "
                    + "or rem clientHold (reactivate)")
        }
        _ = try await service.registry.apply(event, to: update.eid, by: principal)
        return response(.success, clTRID: clTRID)
    }

    private func transfer(
        _ op: EPPCommand.TransferOperation, eid: String, authInfo: String?, principal: Principal, clTRID: String?
    ) async throws -> EPPResponse {
        let registry = service.registry
        guard case .asp(let caller) = principal else { throw RegistryError.forbidden("only ASPs transfer devices") }
        switch op {
        case .request:
            let code = authInfo ?? ""
            let before = try await registry.device(eid, authCode: code, by: principal)
            if before.state == .transferPending {
                return response(
                    .objectPendingTransfer, reason: "device \(eid) has a transfer pending", eid: eid, clTRID: clTRID)
            }
            let after = try await registry.requestTransfer(eid, authCode: code, by: principal)
            if let pending = after.pendingTransfer, after.state == .transferPending {
                let data = EPPResponse.TransferData(
                    eid: eid, status: .pending, requestingID: caller, requestedAt: pending.requestedAt,
                    actingID: before.aspID, actedAt: pending.autoApproveAt)
                return response(.successPending, data: .transfer(data), clTRID: clTRID)
            }
            let data = EPPResponse.TransferData(
                eid: eid, status: .serverApproved, requestingID: caller, requestedAt: after.updatedAt,
                actingID: before.aspID, actedAt: after.updatedAt)
            return response(.success, data: .transfer(data), clTRID: clTRID)
        case .query:
            let device = try await registry.transferParty(eid, by: principal)
            guard let pending = device.pendingTransfer, device.state == .transferPending else {
                return response(
                    .objectNotPendingTransfer, reason: "device \(eid) has no pending transfer", eid: eid, clTRID: clTRID
                )
            }
            let data = EPPResponse.TransferData(
                eid: eid, status: .pending, requestingID: pending.gainingASPID, requestedAt: pending.requestedAt,
                actingID: device.aspID, actedAt: pending.autoApproveAt)
            return response(.success, data: .transfer(data), clTRID: clTRID)
        case .approve, .reject, .cancel:
            let before = try await registry.transferParty(eid, by: principal)
            let after: Device
            let status: TransferStatus
            switch op {
            case .approve:
                after = try await registry.approveTransfer(eid, by: principal)
                status = .clientApproved
            case .reject:
                after = try await registry.rejectTransfer(eid, by: principal)
                status = .clientRejected
            default:
                after = try await registry.cancelTransfer(eid, by: principal)
                status = .clientCancelled
            }
            let data = EPPResponse.TransferData(
                eid: eid, status: status, requestingID: before.pendingTransfer?.gainingASPID ?? caller,
                requestedAt: before.pendingTransfer?.requestedAt ?? after.updatedAt, actingID: before.aspID,
                actedAt: after.updatedAt)
            return response(.success, data: .transfer(data), clTRID: clTRID)
        }
    }

    // MARK: - mapping

    private func validateEIDs(_ eids: [String], subject: inout String?) throws {
        for eid in eids {
            subject = eid
            do { _ = try EID(eid) } catch let error as RegistryError {
                throw EPPError(.invalidValue, error.reason)
            }
        }
        if eids.count != 1 { subject = nil }
    }

    /// The result code for a core refusal, RFC 5730 §3, with the transfer-specific codes of §2.9.3.4.
    static func resultCode(for error: RegistryError, in command: EPPCommand) -> EPPResultCode {
        let isTransfer: EPPCommand.TransferOperation? =
            if case .transfer(let op, _, _) = command { op } else { nil }
        switch error.code {
        case .unauthenticated: return .authenticationError
        case .forbidden: return .authorizationError
        case .notFound: return .objectDoesNotExist
        case .alreadyExists: return .objectExists
        case .invalidAuthorization: return .invalidAuthorizationInformation
        case .invalidTransition:
            switch isTransfer {
            case .request?: return .objectNotEligibleForTransfer
            case .approve?, .reject?, .cancel?: return .objectNotPendingTransfer
            default: return .objectStatusProhibitsOperation
            }
        case .invalidInput:
            return isTransfer == .request ? .objectNotEligibleForTransfer : .parameterValuePolicyError
        default: return .commandFailed
        }
    }

    /// The lifecycle state an EPP status names (the inverse of ``status(of:)``).
    static func state(of status: DeviceStatus) -> DeviceState {
        switch status {
        case .ok: .active
        case .pendingTransfer: .transferPending
        case .clientHold: .deactivated
        default: .registered
        }
    }

    /// The EPP status a lifecycle state shows as.
    static func status(of state: DeviceState) -> DeviceStatus {
        switch state {
        case .registered: .inactive
        case .active: .ok
        case .transferPending: .pendingTransfer
        case .deactivated, .deleted: .clientHold
        }
    }

    static func info(_ device: Device) -> EPPResponse.DeviceInfo {
        EPPResponse.DeviceInfo(
            eid: device.eid.digits, iccid: device.iccid.digits, statuses: [status(of: device.state)],
            owner: device.ownerID,
            mno: device.mnoID, sponsor: device.aspID, rpid: device.rpid, model: device.model, serial: device.serial,
            firmwareVersion: device.firmwareVersion, mudURL: device.mudURL, createdAt: device.createdAt,
            updatedAt: device.updatedAt)
    }

    private func response(
        _ code: EPPResultCode, reason: String? = nil, eid: String? = nil, data: EPPResponse.ResultData? = nil,
        clTRID: String?
    ) -> EPPResponse {
        EPPResponse(
            code: code, reason: reason, reasonEID: eid, resultData: data, clTRID: clTRID,
            svTRID: service.nextServerTransactionID())
    }

    private func reply(_ response: EPPResponse, close: Bool) -> Reply {
        Reply(bytes: EPPResponseEncoder.encode(response), closesSession: close)
    }
}
