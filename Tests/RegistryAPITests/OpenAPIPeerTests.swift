import Foundation
import PeerTesting
import RegistryAPI
import Testing

/// The API document is valid OpenAPI, matches what is committed, and the live server keeps every promise it makes
/// (checked by schemathesis, which generates requests we did not write).
@Suite struct OpenAPIPeerTests {
    static let committed = PeerTool.packageRoot().appendingPathComponent("docs/openapi.json")

    @Test func servedDocumentIsTheCommittedOne() async throws {
        try await LiveRegistry.run { live in
            let reply = try await live.request("GET", "/openapi.json")
            #expect(reply.status == 200)
            let committed = try Data(contentsOf: Self.committed)
            #expect(
                reply.body == committed,
                "docs/openapi.json is stale: regenerate it with `swift run iotreg openapi > docs/openapi.json`")
        }
    }

    @Test(.enabled(if: PeerTool.isAvailable("openapi-spec-validator")))
    func documentIsValidOpenAPI() async throws {
        let result = try PeerTool.run("openapi-spec-validator", [Self.committed.path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("OK"))
    }

    @Test(.enabled(if: PeerTool.isAvailable("schemathesis")))
    func schemathesisFindsNoBrokenPromise() async throws {
        try await LiveRegistry.run { live in
            let cast = try await live.onboardCast()
            _ = try await live.registerDevice(1, cast: cast)
            for token in [live.operatorToken, cast.parkoServ.token, cast.city.token] {
                let result = try await PeerTool.runDetached(
                    "schemathesis",
                    [
                        "run", live.baseURL.absoluteString + "/openapi.json", "--experimental=openapi-3.1",
                        "-H", "Authorization: Bearer \(token)", "--checks", "all",
                        "--hypothesis-max-examples", "12", "--hypothesis-derandomize",
                        "--hypothesis-deadline", "10000", "--request-timeout", "10000", "--no-color",
                    ], timeout: 600)
                #expect(result.status == 0, "\(result.output.suffix(4000))")
                #expect(result.stdout.contains("passed"))
            }
        }
    }
}
