import EPP
import Foundation
import PeerTesting
import RegistryCore
import Testing

/// The `list` protocol extension: REST's `GET /v1/devices` for an ASP that speaks EPP.
@Suite struct ListTests {
    func eids(_ answer: Answer) -> [String] {
        answer.all("device").compactMap { $0.child("eid", in: EPPNamespace.iotDevice)?.trimmedText }
    }

    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func pagesThroughTheSponsorsDevicesOnly() async throws {
        let world = try await EPPWorld.make()
        let mine = try await (0..<5).asyncMap { try await world.registerDevice($0) }.sorted()
        let theirs = try await world.registerDevice(10, by: world.aspB)
        let session = try await world.loggedIn()
        _ = try await world.registry.apply(.activate, to: mine[1], by: .asp(world.aspA.id))

        let first = try await world.send(session, Frames.list("<iotdev:limit>2</iotdev:limit>", clTRID: "LIST-A"))
        #expect(first.code == 1000, "\(first.text)")
        #expect(first.value("clTRID") == "LIST-A")
        #expect(eids(first) == Array(mine[0..<2]))
        let next = try #require(first.value("next"))
        #expect(next == mine[1])
        let rest = try await world.send(
            session, Frames.list("<iotdev:after>\(next)</iotdev:after><iotdev:limit>10</iotdev:limit>"))
        #expect(eids(rest) == Array(mine[2...]))
        #expect(rest.value("next") == nil)
        #expect(!eids(rest).contains(theirs))

        let active = try await world.send(session, Frames.list(#"<iotdev:status s="ok"/>"#))
        #expect(eids(active) == [mine[1]])
        #expect(active.all("status").compactMap { $0.attribute("s") } == ["ok"])
        let other = try await world.loggedIn(world.aspB)
        #expect(eids(try await world.send(other, Frames.list())) == [theirs])
        try world.validateResponses()
    }

    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func badListsGetTheirCodesAndChangeNothing() async throws {
        let world = try await EPPWorld.make()
        let eid = try await world.registerDevice(1)
        let before = try await world.snapshot([eid])
        let fresh = world.session()
        #expect(try await world.send(fresh, Frames.list()).code == 2002)  // before login
        let session = try await world.loggedIn()
        let cases: [(String, Int)] = [
            (Frames.list("<iotdev:limit>0</iotdev:limit>"), 2004),
            (Frames.list("<iotdev:limit>1001</iotdev:limit>"), 2004),
            (Frames.list("<iotdev:after>123</iotdev:after>"), 2005),
            (Frames.list(#"<iotdev:status s="serverHold"/>"#), 2005),
            (Frames.list("<iotdev:bogus/>"), 2001),
            (
                #"<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><extension><x:command xmlns:x="urn:example:x"/></extension></epp>"#,
                2101
            ),
            (
                #"<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><extension><iotdev:command \#(Frames.dev)><iotdev:purge/></iotdev:command></extension></epp>"#,
                2000
            ),
        ]
        for (frame, code) in cases {
            let answer = try await world.send(session, frame)
            #expect(answer.code == code, "\(frame.suffix(160)) → \(answer.text)")
            #expect(!answer.closes)
        }
        #expect(try await world.snapshot([eid]) == before)
        try world.validateResponses()
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
