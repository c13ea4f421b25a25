/// The MNO's side of the registry's task queue: what ``SimulatedMNO`` needs, behind a protocol so tests and the demo
/// can run it in memory and production over HTTPS (``RESTMNOTaskChannel``).
///
/// Errors are ``MNOSimulatorError``s: `transient` ones are retried by the caller with backoff; `conflict` (409)
/// means the registry holds a different result for the task; `notFound` (404) a task of another MNO or an unknown
/// device.
public protocol MNOTaskChannel: Sendable {
    /// `GET /v1/mno/tasks?limit=N&wait=S`: up to `limit` tasks, waiting up to `wait` seconds (0-30) for work.
    /// Each returned task is leased to this MNO; one that gets no result is offered again later.
    func fetchTasks(limit: Int, wait: Int) async throws -> MNOTaskPage
    /// `POST /v1/mno/tasks/{id}/result`. Posting the same result again is answered the same way.
    func postResult(taskID: String, _ result: MNOTaskResult) async throws -> MNOTaskReceipt
    /// `GET /v1/devices/{eid}/payload`: the tagged COSE_Sign1 bytes of the device's current Registry Payload.
    func fetchPayload(eid: String) async throws -> [UInt8]
    /// `POST /v1/devices/{eid}/euicc-status`.
    func reportStatus(eid: String, status: EUICCStatus) async throws
}
