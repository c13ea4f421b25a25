import Foundation
import Synchronization

let taskCounter = Atomic<UInt64>(0)

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(width - count, 0)) + self }
}

/// How lifecycle changes turn into work for the device's MNO (DESIGN.md step 4, 6 and 7).
///
/// Each task is written in the transaction of the change that needs it, so a crash can neither lose the request
/// for a key nor send a wipe for a device that stayed active. A new task supersedes whatever the device's MNO was
/// still asked to do: only the newest intent matters (an activation followed by a deactivation wipes, and the
/// key request is withdrawn).
extension Registry {
    /// Plans the task a lifecycle event needs. Called after the device's new state is set.
    func planProvisioning(
        after event: DeviceEvent, device: Device, previousCertificate: CertificateRecord?, changes: inout ChangeSet,
        context: PlanContext
    ) async throws {
        switch event {
        case .activate, .reactivate, .rekey:
            try await planTask(.generateKey, for: device, changes: &changes, context: context)
        case .deactivate:
            try await planTask(.wipe, for: device, changes: &changes, context: context)
        case .completeTransfer:
            // The new profile needs a certificate naming it: re-certify the eSIM's key (one step, the payload
            // follows at once) unless the operator wants a fresh key, or there is no key to re-certify.
            if !configuration.rekeyOnTransfer, let previousCertificate, let pki, let rpid = device.rpid,
                let key = try? IssuedKey(certificateDER: previousCertificate.der)
            {
                _ = try planIssue(
                    device: device, rpid: rpid, key: key, actor: "registry", action: "certificate.transfer",
                    pki: pki, touchDevice: false, changes: &changes, context: context)
                try await supersedeOpenTasks(of: device.eid, changes: &changes, context: context)
            } else {
                try await planTask(.generateKey, for: device, changes: &changes, context: context)
            }
        case .delete, .requestTransfer, .rejectTransfer, .cancelTransfer:
            return
        }
    }

    /// Queues `kind` for the device's MNO, superseding its open tasks.
    func planTask(
        _ kind: MNOTask.Kind, for device: Device, payloadSequence: Int64? = nil, changes: inout ChangeSet,
        context: PlanContext
    ) async throws {
        try await supersedeOpenTasks(of: device.eid, changes: &changes, context: context)
        changes.taskInserts.append(
            MNOTask(
                id: Self.taskID(at: context.now), mnoID: device.mnoID, eid: device.eid, kind: kind,
                payloadSequence: payloadSequence, createdAt: context.now))
    }

    /// Marks every open task of the device superseded (in the store and among this plan's inserts).
    func supersedeOpenTasks(of eid: EID, changes: inout ChangeSet, context: PlanContext) async throws {
        for index in changes.taskInserts.indices where changes.taskInserts[index].eid == eid {
            changes.taskInserts[index].state = .superseded
        }
        for var task in try await context.openTasks(eid)
        where !changes.taskUpdates.contains(where: { $0.id == task.id }) {
            task.state = .superseded
            task.updatedAt = context.now
            task.version += 1
            changes.taskUpdates.append(task)
        }
        context.closeTasks(eid)
    }

    /// `t` + creation time (ms) + a process-wide counter + randomness: ids sort in creation order, so "newest
    /// first" needs no clock finer than a millisecond, and never collide across nodes.
    static func taskID(at time: Date) -> String {
        let millis = UInt64(max(time.timeIntervalSince1970 * 1000, 0))
        let count = taskCounter.add(1, ordering: .relaxed).newValue & 0xFF_FFFF
        return "t" + String(millis, radix: 16).leftPadded(to: 12) + String(count, radix: 16).leftPadded(to: 6)
            + RandomText.base32(byteCount: 5)
    }
}
