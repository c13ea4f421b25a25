import Foundation
import RegistryCore
import Testing

/// Malformed or refused requests get a precise problem+json and change nothing.
@Suite struct BadInputTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var method: String
        var path: String
        var body: String?
        var contentType: String = "application/json"
        var status: Int
        var detail: String
        var description: String { name }
    }

    static let eid = LiveRegistry.eid(7)
    static let cases: [Case] = [
        Case(
            name: "malformed JSON", method: "POST", path: "/v1/devices", body: "{\"eid\": ", status: 400,
            detail: "not valid JSON"),
        Case(
            name: "not an object", method: "POST", path: "/v1/devices", body: "[1,2]", status: 400,
            detail: "must be a JSON object"),
        Case(name: "empty body", method: "POST", path: "/v1/devices", body: "", status: 400, detail: "empty"),
        Case(
            name: "unknown field", method: "POST", path: "/v1/devices",
            body: "{\"eid\":\"\(eid)\",\"iccid\":\"89882280000000000014\",\"owner\":\"o\",\"mno\":\"m\",\"colour\":1}",
            status: 422, detail: "unknown field 'colour'"),
        Case(
            name: "wrong type", method: "POST", path: "/v1/devices",
            body: "{\"eid\":7,\"iccid\":\"89882280000000000014\",\"owner\":\"o\",\"mno\":\"m\"}", status: 422,
            detail: "field 'eid' must be a string"),
        Case(
            name: "missing field", method: "POST", path: "/v1/devices", body: "{\"eid\":\"\(eid)\"}", status: 422,
            detail: "missing required field"),
        Case(
            name: "bad EID check digits", method: "POST", path: "/v1/devices",
            body:
                "{\"eid\":\"89049032000000000000000000000164\",\"iccid\":\"89882280000000000014\",\"owner\":\"o\",\"mno\":\"m\"}",
            status: 422, detail: "check digits"),
        Case(
            name: "bad ICCID Luhn", method: "POST", path: "/v1/devices",
            body: "{\"eid\":\"\(eid)\",\"iccid\":\"89882280000000000015\",\"owner\":\"o\",\"mno\":\"m\"}", status: 422,
            detail: "Luhn"),
        Case(
            name: "wrong media type", method: "POST", path: "/v1/devices", body: "eid=1",
            contentType: "application/x-www-form-urlencoded", status: 415, detail: "application/json"),
        Case(
            name: "unknown device", method: "GET", path: "/v1/devices/\(LiveRegistry.eid(999))", status: 404,
            detail: "no device"),
        Case(name: "bad limit", method: "GET", path: "/v1/devices?limit=0", status: 422, detail: "limit"),
        Case(name: "bad state filter", method: "GET", path: "/v1/devices?state=flying", status: 422, detail: "state"),
        Case(name: "unknown route", method: "GET", path: "/v1/nothing", status: 404, detail: "no such resource"),
        Case(
            name: "wrong state: delete an active device", method: "DELETE", path: "/v1/devices/\(eid)", status: 409,
            detail: "cannot delete a device that is active"),
        Case(
            name: "wrong state: activate twice", method: "POST", path: "/v1/devices/\(eid)/activate", status: 409,
            detail: "cannot activate"),
        Case(
            name: "no pending transfer", method: "POST", path: "/v1/devices/\(eid)/transfer/approve", status: 409,
            detail: "no pending transfer"),
    ]

    @Test(arguments: cases)
    func refusedWithProblemAndNoChange(_ testCase: Case) async throws {
        try await LiveRegistry.run { live in
            let cast = try await live.onboardCast()
            _ = try await live.registerDevice(7, cast: cast)
            _ = try await live.request("POST", "/v1/devices/\(Self.eid)/activate", token: cast.parkoServ.token)
            let headBefore = try await live.registry.store.auditHead()
            let deviceBefore = try await live.registry.store.device(eid: try EID(Self.eid))
            let reply = try await live.request(
                testCase.method, testCase.path, token: cast.parkoServ.token,
                raw: testCase.body.map { Data($0.utf8) }, contentType: testCase.contentType)
            #expect(reply.status == testCase.status, "\(reply.text)")
            #expect(reply.contentType == "application/problem+json")
            #expect((reply.json["detail"] as? String)?.contains(testCase.detail) == true, "\(reply.text)")
            #expect(reply.json["status"] as? Int == testCase.status)
            #expect(try await live.registry.store.auditHead() == headBefore)
            #expect(try await live.registry.store.device(eid: try EID(Self.eid)) == deviceBefore)
        }
    }

    @Test func oversizeBodyIs413() async throws {
        try await LiveRegistry.run { live in
            let big = Data(repeating: 0x20, count: 2 << 20)
            let reply = try await live.request("POST", "/v1/owners", token: live.operatorToken, raw: big)
            #expect(reply.status == 413)
            #expect(reply.contentType == "application/problem+json")
        }
    }

    @Test func malformedAuthorizationIs401() async throws {
        try await LiveRegistry.run { live in
            let reply = try await live.request("GET", "/v1/devices", token: "not-a-token")
            #expect(reply.status == 401)
            #expect((reply.json["detail"] as? String)?.contains("not known") == true)
        }
    }
}
