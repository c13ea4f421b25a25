import Foundation
import RegistryCore
import Testing

/// The whole lifecycle over REST: onboarding, registration, activation, transfer, deactivation, deletion.
@Suite struct DeviceFlowTests {
    @Test func cityStoryOverREST() async throws {
        try await LiveRegistry.run { live in
            let cast = try await live.onboardCast()
            let eid = try await live.registerDevice(1, cast: cast)
            var reply = try await live.request("GET", "/v1/devices/\(eid)", token: cast.city.token)
            #expect(reply.status == 200)
            #expect(reply.json["state"] as? String == "registered")

            reply = try await live.request("POST", "/v1/devices/\(eid)/activate", token: cast.parkoServ.token)
            #expect(reply.status == 200)
            let firstRPID = try #require(reply.json["rpid"] as? Int)

            reply = try await live.request("POST", "/v1/devices/\(eid)/transfer-code", token: cast.city.token)
            #expect(reply.status == 201)
            let code = try #require(reply.json["authCode"] as? String)

            reply = try await live.request(
                "POST", "/v1/devices/\(eid)/transfer", token: cast.carParkServ.token, json: ["authCode": code])
            #expect(reply.status == 200)
            #expect(reply.json["asp"] as? String == cast.carParkServ.id)
            let secondRPID = try #require(reply.json["rpid"] as? Int)
            #expect(secondRPID > firstRPID)

            // The losing ASP no longer sees it; the gaining one sees both profiles, the old one revoked.
            reply = try await live.request("GET", "/v1/devices/\(eid)", token: cast.parkoServ.token)
            #expect(reply.status == 404)
            reply = try await live.request("GET", "/v1/devices/\(eid)", token: cast.carParkServ.token)
            let profiles = try #require(reply.json["profiles"] as? [[String: Any]])
            #expect(profiles.map { $0["status"] as? String } == ["revoked", "active"])
            #expect(profiles.first?["revocationReason"] as? String == "transfer")

            // The code was one-time.
            reply = try await live.request(
                "POST", "/v1/devices/\(eid)/transfer", token: cast.parkoServ.token, json: ["authCode": code])
            #expect(reply.status == 403)

            reply = try await live.request("POST", "/v1/devices/\(eid)/deactivate", token: cast.city.token)
            #expect(reply.json["state"] as? String == "deactivated")
            reply = try await live.request("GET", "/v1/public/devices/\(eid)")
            #expect(reply.status == 200)
            #expect(reply.json["state"] as? String == "deactivated")
            #expect(reply.json["asp"] as? String == "CarParkServ")

            reply = try await live.request("DELETE", "/v1/devices/\(eid)", token: cast.carParkServ.token)
            #expect(reply.status == 200)
            reply = try await live.request("GET", "/v1/public/devices/\(eid)")
            #expect(reply.status == 404)
            #expect(try await live.registry.verifyAudit().isIntact)
        }
    }

    @Test func windowedTransferIsSettledByTheLosingASP() async throws {
        try await LiveRegistry.run(configuration: .init(transferPolicy: .window(seconds: 3600))) { live in
            let cast = try await live.onboardCast()
            let eid = try await live.registerDevice(2, cast: cast)
            _ = try await live.request("POST", "/v1/devices/\(eid)/activate", token: cast.parkoServ.token)
            let code =
                try await live.request("POST", "/v1/devices/\(eid)/transfer-code", token: cast.city.token)
                .json["authCode"] as? String
            var reply = try await live.request(
                "POST", "/v1/devices/\(eid)/transfer", token: cast.carParkServ.token, json: ["authCode": code ?? ""])
            #expect(reply.status == 202)
            #expect(reply.json["state"] as? String == "transfer-pending")
            reply = try await live.request("POST", "/v1/devices/\(eid)/transfer/approve", token: cast.carParkServ.token)
            #expect(reply.status == 403)
            reply = try await live.request("POST", "/v1/devices/\(eid)/transfer/reject", token: cast.parkoServ.token)
            #expect(reply.status == 200)
            #expect(reply.json["state"] as? String == "active")
            #expect(reply.json["asp"] as? String == cast.parkoServ.id)
        }
    }

    @Test func bulkJobFromCSVCreatesActivatesAndTransfers() async throws {
        try await LiveRegistry.run(configuration: .init(jobBatchSize: 100)) { live in
            let cast = try await live.onboardCast()
            var csv = "Device ID,Model,Version,ICCID\n"
            for n in 1...250 { csv += "\(LiveRegistry.eid(n)),SParkometer,1.1,\(LiveRegistry.iccid(n))\n" }
            csv += "12345,Broken,1.0,\(LiveRegistry.iccid(999))\n"
            var reply = try await live.request(
                "POST", "/v1/jobs?operation=create&owner=\(cast.city.id)&mno=\(cast.telco.id)",
                token: cast.parkoServ.token, raw: Data(csv.utf8), contentType: "text/csv")
            #expect(reply.status == 202)
            let jobID = try #require(reply.json["id"] as? String)
            await live.scheduler.drain()
            reply = try await live.request("GET", "/v1/jobs/\(jobID)", token: cast.parkoServ.token)
            #expect(reply.json["status"] as? String == "completed")
            #expect(reply.json["succeeded"] as? Int == 250)
            #expect(reply.json["failed"] as? Int == 1)
            reply = try await live.request("GET", "/v1/jobs/\(jobID)/items?cursor=249", token: cast.parkoServ.token)
            let failed = try #require((reply.json["items"] as? [[String: Any]])?.first)
            #expect(failed["status"] as? String == "failed")
            #expect((failed["message"] as? String)?.contains("32 digits") == true)
            // Another tenant cannot see the job.
            reply = try await live.request("GET", "/v1/jobs/\(jobID)", token: cast.carParkServ.token)
            #expect(reply.status == 404)

            let eids = (1...250).map(LiveRegistry.eid)
            reply = try await live.request(
                "POST", "/v1/jobs", token: cast.parkoServ.token,
                json: ["operation": "activate", "items": eids.map { ["eid": $0] }])
            await live.scheduler.drain()
            reply = try await live.request("POST", "/v1/transfer-codes", token: cast.city.token, json: ["eids": eids])
            #expect(reply.status == 201)
            let code = try #require(reply.json["authCode"] as? String)
            reply = try await live.request(
                "POST", "/v1/jobs", token: cast.carParkServ.token,
                json: ["operation": "transfer", "authCode": code, "items": eids.map { ["eid": $0] }])
            let transferJob = try #require(reply.json["id"] as? String)
            await live.scheduler.drain()
            reply = try await live.request("GET", "/v1/jobs/\(transferJob)", token: cast.carParkServ.token)
            #expect(reply.json["succeeded"] as? Int == 250)
            reply = try await live.request("GET", "/v1/devices?limit=1000", token: cast.carParkServ.token)
            #expect((reply.json["items"] as? [Any])?.count == 250)
            reply = try await live.request("GET", "/v1/devices?limit=1000", token: cast.parkoServ.token)
            #expect((reply.json["items"] as? [Any])?.count == 0)
        }
    }

    @Test func pagingWalksEveryDeviceOnce() async throws {
        try await LiveRegistry.run { live in
            let cast = try await live.onboardCast()
            for n in 1...23 { _ = try await live.registerDevice(n, cast: cast) }
            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let path = "/v1/devices?limit=5" + (cursor.map { "&cursor=\($0)" } ?? "")
                let reply = try await live.request("GET", path, token: cast.parkoServ.token)
                seen += (reply.json["items"] as? [[String: Any]] ?? []).compactMap { $0["eid"] as? String }
                cursor = reply.json["next"] as? String
            } while cursor != nil
            #expect(seen == (1...23).map(LiveRegistry.eid).sorted())
        }
    }
}
