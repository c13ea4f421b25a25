import Foundation
import Testing

@testable import MNOSimulator

/// The JSON shapes of the MNO contract (the lead's REST endpoints): tasks decode, results encode as specified.
@Suite struct MNOTaskContractTests {
    @Test func taskPageDecodes() throws {
        let json = """
            {"items":[
              {"id":"01J9","kind":"generate-key","eid":"89049032000000000000000000000001","state":"pending",
               "attempt":1,"createdAt":"2026-11-23T14:00:00Z"},
              {"id":"01JA","kind":"deliver-payload","eid":"89049032000000000000000000000002","state":"in-flight",
               "attempt":2,"createdAt":"2026-11-23T14:00:01.250Z","payloadSequence":3},
              {"id":"01JB","kind":"future-kind","eid":"89049032000000000000000000000003","state":"superseded",
               "attempt":1,"createdAt":"2026-11-23T14:00:02Z","extra":true}
            ],"next":null}
            """
        let page = try JSONDecoder().decode(MNOTaskPage.self, from: Data(json.utf8))
        #expect(page.next == nil)
        #expect(page.items.map(\.kind) == [.generateKey, .deliverPayload, .init(rawValue: "future-kind")])
        #expect(page.items[1].payloadSequence == 3)
        #expect(page.items[1].state == .inFlight)
        #expect(page.items[2].state == .superseded)
        #expect(page.items[0].payloadSequence == nil)
        let roundTrip = try JSONDecoder().decode(MNOTaskPage.self, from: JSONEncoder().encode(page))
        #expect(roundTrip == page)
    }

    func object(_ result: MNOTaskResult) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as? NSDictionary)
    }

    @Test func resultsEncodeAsTheContractSays() throws {
        let point = [UInt8](repeating: 4, count: 65)
        #expect(
            try object(.csr(pem: "-----BEGIN CERTIFICATE REQUEST-----", keyAgreementPublicKey: point))
                == [
                    "outcome": "csr", "csr": "-----BEGIN CERTIFICATE REQUEST-----",
                    "keyAgreementPublicKey": Data(point).base64EncodedString(),
                ] as NSDictionary)
        #expect(try object(.delivered(payloadSequence: 7)) == ["outcome": "delivered", "payloadSequence": 7])
        #expect(try object(.wiped) == ["outcome": "wiped"])
        #expect(
            try object(.failed(reason: "device not on this network", retry: false))
                == ["outcome": "failed", "reason": "device not on this network", "retry": false])
        for result: MNOTaskResult in [
            .csr(pem: "x", keyAgreementPublicKey: point), .delivered(payloadSequence: 1), .wiped,
            .failed(reason: "r", retry: true),
        ] {
            #expect(try JSONDecoder().decode(MNOTaskResult.self, from: JSONEncoder().encode(result)) == result)
        }
    }

    @Test func receiptAndStatusDecode() throws {
        let json = """
            {"task":{"id":"1","kind":"generate-key","eid":"89049032000000000000000000000001","state":"succeeded",
              "attempt":1,"createdAt":"2026-11-23T14:00:00Z"},"certificate":"-----BEGIN CERTIFICATE-----"}
            """
        let receipt = try JSONDecoder().decode(MNOTaskReceipt.self, from: Data(json.utf8))
        #expect(receipt.task.state == .succeeded)
        #expect(receipt.certificate == "-----BEGIN CERTIFICATE-----")
        #expect(String(decoding: try JSONEncoder().encode(EUICCStatus.online), as: UTF8.self) == #""online""#)
    }

    @Test func httpErrorsMapToCodes() {
        let problem = Data(#"{"type":"about:blank","title":"Conflict","detail":"another result is recorded"}"#.utf8)
        let conflict = RESTMNOTaskChannel.error(status: 409, body: problem, what: "POST /v1/mno/tasks/1/result")
        #expect(conflict.code == .conflict)
        #expect(conflict.reason.contains("another result is recorded"))
        #expect(RESTMNOTaskChannel.error(status: 404, body: Data(), what: "x").code == .notFound)
        #expect(RESTMNOTaskChannel.error(status: 401, body: Data(), what: "x").code == .unauthorized)
        #expect(RESTMNOTaskChannel.error(status: 503, body: Data("<html>".utf8), what: "x").code == .transient)
        #expect(RESTMNOTaskChannel.error(status: 429, body: Data(), what: "x").code == .transient)
        #expect(RESTMNOTaskChannel.error(status: 422, body: Data(), what: "x").code == .rejected)
    }

    @Test func backoffGrowsAndIsCapped() {
        let policy = SimulatedMNO.RetryPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(1))
        #expect(policy.delay(beforeRetry: 1) <= .milliseconds(100))
        #expect(policy.delay(beforeRetry: 1) >= .milliseconds(50))
        #expect(policy.delay(beforeRetry: 3) >= .milliseconds(200))
        #expect(policy.delay(beforeRetry: 30) <= .seconds(1))
        #expect(policy.delay(beforeRetry: 1000) <= .seconds(1))
    }
}
