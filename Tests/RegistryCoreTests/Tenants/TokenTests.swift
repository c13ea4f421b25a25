import Foundation
import GRDB
import PeerTesting
import RegistryCore
import Testing

@Suite("API tokens: authentication and storage")
struct TokenTests {
    @Test func tokensResolveToTheirPrincipals() async throws {
        let world = try await World.make()
        let registry = world.registry
        #expect(try await registry.authenticate(token: world.operatorToken.secret) == .registryOperator)
        #expect(try await registry.authenticate(token: world.aspA.token.secret) == .asp(world.aspA.id))
        #expect(try await registry.authenticate(token: world.aspB.token.secret) == .asp(world.aspB.id))
        #expect(try await registry.authenticate(token: world.ownerA.token.secret) == .owner(world.ownerA.id))
        #expect(try await registry.authenticate(token: world.mnoA.token.secret) == .mno(world.mnoA.id))
        #expect(try await registry.authenticate(token: world.mnoB.token.secret) == .mno(world.mnoB.id))
        // Twice (the second from the cache) gives the same answer.
        #expect(try await registry.authenticate(token: world.aspA.token.secret) == .asp(world.aspA.id))
    }

    @Test func tokensCarryTheirKindAndEnoughRandomness() async throws {
        let world = try await World.make()
        #expect(world.operatorToken.secret.hasPrefix("iotreg_op_"))
        #expect(world.aspA.token.secret.hasPrefix("iotreg_asp_"))
        #expect(world.ownerA.token.secret.hasPrefix("iotreg_owner_"))
        #expect(world.mnoA.token.secret.hasPrefix("iotreg_mno_"))
        let secrets = [world.operatorToken, world.aspA.token, world.aspB.token, world.ownerA.token, world.mnoA.token]
            .map(\.secret)
        #expect(Set(secrets).count == secrets.count)
        // 32 random bytes in base32: 52 characters after the prefix.
        #expect(secrets.allSatisfy { $0.split(separator: "_").last?.count == 52 })
    }

    @Test(arguments: ["", "iotreg_asp_", "Bearer x", "iotreg_op_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"])
    func unknownTokensAreRefused(_ token: String) async throws {
        let world = try await World.make()
        await expectRefusal(.unauthenticated) { try await world.registry.authenticate(token: token) }
    }

    @Test func aTokenDiffersByOneCharacterIsRefused() async throws {
        let world = try await World.make()
        var secret = world.aspA.token.secret
        let last = secret.removeLast()
        secret.append(last == "a" ? "b" : "a")
        await expectRefusal(.unauthenticated) { try await world.registry.authenticate(token: secret) }
        // The hash of a real token is not a token either.
        await expectRefusal(.unauthenticated) { try await world.registry.authenticate(token: world.aspA.token.hash) }
    }

    @Test func theDatabaseHoldsOnlyHashes() async throws {
        let directory = try PeerTool.temporaryDirectory("iotreg-tokens")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("registry.sqlite").path
        let world = try await World.make(path: path)
        let device = try await world.device(1, in: .active)
        let code = try await world.registry.issueTransferCode(for: [device.eid.digits], by: world.owner)
        _ = try await world.registry.submitJob(
            .transfer, items: [JobItemInput(eid: device.eid.digits)], defaults: JobDefaults(authCode: code.code),
            by: world.otherASP)
        let tokens = [
            world.operatorToken, world.aspA.token, world.aspB.token, world.ownerA.token, world.ownerB.token,
            world.mnoA.token, world.mnoB.token,
        ]

        let raw = try DatabaseQueue(path: path)
        let rows = try await raw.read { db in try Row.fetchAll(db, sql: "SELECT hash, role, tenant_id FROM tokens") }
        #expect(rows.count == tokens.count)
        let stored = Set(rows.map { $0["hash"] as String })
        #expect(stored == Set(tokens.map(\.hash)))
        for token in tokens {
            #expect(token.hash == Self.sha256Hex(token.secret))
            #expect(token.hash.utf8.count == 64)
            for row in rows {
                for column in row.columnNames {
                    let value = row[column] as String? ?? ""
                    #expect(!value.contains(token.secret))
                }
            }
        }
        let transferHashes = try await raw.read { db in try String.fetchAll(db, sql: "SELECT hash FROM transfer_codes")
        }
        #expect(transferHashes == [APIToken.hash(code.code)])

        // Nothing on disk (database, WAL) holds a secret in clear.
        let secrets = tokens.map(\.secret) + [code.code]
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(file))
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds a secret in clear")
            }
        }
    }

    /// SHA-256 by a peer (`openssl dgst`), so the stored form is the standard one, not an accident of our code.
    static func sha256Hex(_ text: String) -> String {
        guard PeerTool.isAvailable("openssl"),
            let result = try? PeerTool.run("openssl", ["dgst", "-sha256", "-r"], stdin: Data(text.utf8)),
            let hex = result.stdout.split(separator: " ").first
        else { return APIToken.hash(text) }
        return String(hex)
    }
}
