import EPP
import Foundation
import PeerTesting
import RegistryCore
import RegistryStoreSQLite
import Testing

/// RFC 5730 sessions end to end over the real core (no transport): login, every device command, result codes,
/// clTRID/svTRID, and every response checked by xmllint against epp-1.0.xsd + iotdevice-1.0.xsd.
@Suite struct SessionTests {
    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func greetingAndHelloValidate() async throws {
        let world = try await EPPWorld.make()
        let greeting = world.service.greeting()
        world.responses.append(greeting)
        let parsed = try XML.parse(greeting)
        #expect(
            parsed.child("greeting", in: EPPNamespace.epp)?.child("svcMenu", in: EPPNamespace.epp)?
                .child("objURI", in: EPPNamespace.epp)?.trimmedText == EPPNamespace.iotDevice)
        let session = world.session()
        let reply = await session.handle(Array(Frames.hello.utf8))
        #expect(String(decoding: reply.bytes, as: UTF8.self).contains("<greeting>"))
        world.responses.append(reply.bytes)
        try world.validateResponses()
    }

    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func loginNeedsTokenAndRegisteredCertificate() async throws {
        let world = try await EPPWorld.make()
        let a = world.aspA
        // Commands before login.
        let early = world.session()
        #expect(try await world.send(early, Frames.check([Fixture.eid(1)])).code == 2002)
        #expect(try await world.send(early, Frames.pollRequest).code == 2002)
        // Wrong token, another ASP's token, no certificate, another ASP's certificate.
        #expect(try await world.send(world.session(), Frames.login(a.id, "iotreg_asp_wrong")).code == 2200)
        #expect(try await world.send(world.session(), Frames.login(a.id, world.aspB.token.secret)).code == 2200)
        let noCertificate = try await world.send(world.session(certificate: nil), Frames.login(a.id, a.token.secret))
        #expect(noCertificate.code == 2200)
        let wrongCertificate = try await world.send(
            world.session(certificate: EPPWorld.certificateB), Frames.login(a.id, a.token.secret))
        #expect(wrongCertificate.code == 2200)
        #expect(wrongCertificate.value("reason")?.contains("POST /v1/asps/{id}/certificates") == true)
        // Version and options.
        let v2 = Frames.login(a.id, a.token.secret).replacingOccurrences(of: "<version>1.0", with: "<version>2.0")
        #expect(try await world.send(world.session(), v2).code == 2100)
        let newPW = Frames.login(a.id, a.token.secret).replacingOccurrences(
            of: "</pw>", with: "</pw><newPW>another-secret</newPW>")
        #expect(try await world.send(world.session(), newPW).code == 2102)
        // Three failures close the connection with 2501.
        let attacker = world.session()
        #expect(try await world.send(attacker, Frames.login(a.id, "x1")).code == 2200)
        #expect(try await world.send(attacker, Frames.login(a.id, "x2")).code == 2200)
        let third = try await world.send(attacker, Frames.login(a.id, "x3"))
        #expect(third.code == 2501 && third.closes)
        // Success, then a second login is a use error; logout ends the session.
        let session = try await world.loggedIn()
        #expect(try await world.send(session, Frames.login(a.id, a.token.secret)).code == 2002)
        let bye = try await world.send(session, Frames.logout)
        #expect(bye.code == 1500 && bye.closes)
        try world.validateResponses()
    }

    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func deviceLifecycleOverEPP() async throws {
        let world = try await EPPWorld.make()
        let session = try await world.loggedIn()
        let eid = Fixture.eid(7)
        let created = try await world.send(
            session, Frames.create(eid, iccid: Fixture.iccid(7), owner: world.owner.id, mno: world.mno.id))
        #expect(created.code == 1000, "\(created.text)")
        #expect(created.value("eid") == eid)
        #expect(created.value("clTRID") == "ABC-12345")
        #expect(
            try await world.send(
                session, Frames.create(eid, iccid: Fixture.iccid(7), owner: world.owner.id, mno: world.mno.id)
            ).code == 2302)

        let check = try await world.send(session, Frames.check([eid, Fixture.eid(8)]))
        #expect(check.code == 1000)
        #expect(check.all("eid").map { $0.attribute("avail") } == ["0", "1"])

        var info = try await world.send(session, Frames.info(eid))
        #expect(info.code == 1000)
        #expect(info.first("status")?.attribute("s") == "inactive")
        #expect(info.value("clID") == world.aspA.id)

        #expect(try await world.send(session, Frames.update(eid, rem: "inactive")).code == 1000)
        info = try await world.send(session, Frames.info(eid))
        #expect(info.first("status")?.attribute("s") == "ok")
        #expect(info.value("rpid") != nil)

        #expect(
            try await world.send(session, Frames.update(eid, chg: "<iotdev:model>SParkometer 2</iotdev:model>")).code
                == 1000)
        #expect(try await world.send(session, Frames.info(eid)).value("model") == "SParkometer 2")

        #expect(try await world.send(session, Frames.update(eid, add: "clientHold")).code == 1000)
        #expect(try await world.send(session, Frames.info(eid)).first("status")?.attribute("s") == "clientHold")
        #expect(try await world.send(session, Frames.update(eid, rem: "clientHold")).code == 1000)
        #expect(try await world.send(session, Frames.info(eid)).first("status")?.attribute("s") == "ok")
        #expect(try await world.send(session, Frames.update(eid, add: "clientHold")).code == 1000)

        #expect(try await world.send(session, Frames.delete(eid)).code == 1000)
        #expect(try await world.send(session, Frames.info(eid)).code == 2303)
        #expect(try await world.send(session, Frames.check([eid])).all("eid").first?.attribute("avail") == "1")

        // Same audit trail as REST: the core recorded the ASP as actor of each use case.
        let audit = try await world.store.auditEntries(after: 0, limit: 1000).filter { $0.target == "device:\(eid)" }
        #expect(
            audit.map(\.action) == [
                "device.create", "device.activate", "device.update", "device.deactivate", "device.reactivate",
                "device.deactivate", "device.delete",
            ])
        #expect(audit.allSatisfy { $0.actor == "asp:\(world.aspA.id)" })
        try world.validateResponses()
    }

    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func refusalsChangeNothing() async throws {
        let world = try await EPPWorld.make()
        let eid = try await world.registerDevice(1)
        _ = try await world.registry.apply(.activate, to: eid, by: .asp(world.aspA.id))
        let session = try await world.loggedIn()
        let other = try await world.loggedIn(world.aspB)
        let before = try await world.snapshot([eid])

        // Another ASP's device: not found, exactly as REST hides it.
        #expect(try await world.send(other, Frames.info(eid)).code == 2303)
        #expect(try await world.send(other, Frames.update(eid, add: "clientHold")).code == 2303)
        #expect(try await world.send(other, Frames.update(eid, chg: "<iotdev:model>x</iotdev:model>")).code == 2303)
        #expect(try await world.send(other, Frames.delete(eid)).code == 2303)
        #expect(try await world.send(other, Frames.transfer("approve", eid)).code == 2303)
        // Wrong state.
        let deleteActive = try await world.send(session, Frames.delete(eid))
        #expect(deleteActive.code == 2304)
        #expect(deleteActive.value("reason")?.contains("active") == true)
        #expect(try await world.send(session, Frames.update(eid, rem: "inactive")).code == 2304)
        #expect(try await world.send(session, Frames.update(eid, rem: "clientHold")).code == 2304)
        #expect(try await world.send(session, Frames.transfer("approve", eid)).code == 2301)
        #expect(try await world.send(session, Frames.transfer("query", eid)).code == 2301)
        // Server-set statuses and mixed updates are policy errors.
        #expect(try await world.send(session, Frames.update(eid, add: "ok")).code == 2306)
        #expect(
            try await world.send(session, Frames.update(eid, add: "clientHold", chg: "<iotdev:model>x</iotdev:model>"))
                .code == 2306)
        // Bad values.
        #expect(try await world.send(session, Frames.info(String(eid.dropLast()) + "0")).code == 2005)
        #expect(try await world.send(session, Frames.info("12345")).code == 2005)
        #expect(
            try await world.send(
                session,
                Frames.create(Fixture.eid(2), iccid: Fixture.iccid(2), owner: "owner-nobody", mno: world.mno.id)
            ).code == 2306)
        // Transfer with a wrong code.
        #expect(try await world.send(other, Frames.transfer("request", eid, authInfo: "tc-wrong")).code == 2202)
        #expect(try await world.send(other, Frames.info(eid, authInfo: "tc-wrong")).code == 2202)

        #expect(try await world.snapshot([eid, Fixture.eid(2)]) == before)
        try world.validateResponses()
    }

    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func badFramesGetTheRightCodes() async throws {
        let world = try await EPPWorld.make()
        let session = try await world.loggedIn()
        let eid = try await world.registerDevice(3)
        let before = try await world.snapshot([eid])
        let ns = Frames.dev
        let cases: [(String, Int)] = [
            ("<epp><command><logout/></command></epp>", 2001),  // no namespace
            (#"<epp xmlns="urn:ietf:params:xml:ns:epp-0.4"><hello/></epp>"#, 2001),  // wrong namespace
            (#"<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><info>"#, 2001),  // truncated
            ("not xml at all", 2001),
            (Frames.command("<info><iotdev:info \(ns)></iotdev:info></info>"), 2003),  // missing eid
            (
                Frames.command(
                    "<create><iotdev:create \(ns)><iotdev:eid>\(Fixture.eid(9))</iotdev:eid></iotdev:create></create>"),
                2003
            ),
            (
                Frames.command(
                    #"<transfer op="request"><iotdev:transfer \#(ns)><iotdev:eid>\#(eid)</iotdev:eid></iotdev:transfer></transfer>"#
                ), 2003
            ),
            (Frames.command(#"<poll/>"#), 2003),
            (
                Frames.command(
                    #"<check><domain:check xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name>a.ca</domain:name></domain:check></check>"#
                ), 2307
            ),
            (Frames.command("<renew><iotdev:renew \(ns)/></renew>"), 2101),
            (Frames.command("<frobnicate/>"), 2000),
            (
                Frames.command(
                    "<info><iotdev:info \(ns)><iotdev:eid>\(eid)</iotdev:eid><iotdev:bogus/></iotdev:info></info>"),
                2001
            ),
            (Frames.update(eid, add: "serverHold"), 2005),
        ]
        for (frame, code) in cases {
            let answer = try await world.send(session, frame)
            #expect(answer.code == code, "\(frame.prefix(120)) → \(answer.text)")
            #expect(!answer.closes)
        }
        // clTRID is echoed on errors too.
        #expect(
            try await world.send(session, Frames.command("<info><iotdev:info \(ns)/></info>", clTRID: "ERR-1")).value(
                "clTRID") == "ERR-1")
        #expect(try await world.snapshot([eid]) == before)
        // The session still works.
        #expect(try await world.send(session, Frames.info(eid)).code == 1000)
        try world.validateResponses()
    }

    @Test(.enabled(if: PeerTool.isAvailable("xmllint")))
    func hostileXMLGets2001AndClosesTheSession() async throws {
        let world = try await EPPWorld.make()
        let hostile = [
            // XXE: external entity reading a local file.
            """
            <?xml version="1.0"?><!DOCTYPE epp [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><login><clID>&xxe;</clID></login></command></epp>
            """,
            // Billion laughs.
            """
            <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">
            <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello>&lol3;</hello></epp>
            """,
            // Parameter entity / external DTD.
            #"<!DOCTYPE epp SYSTEM "http://127.0.0.1:1/evil.dtd"><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>"#,
            // An undeclared entity reference without a DTD.
            #"<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/><clTRID>&xxe;</clTRID></command></epp>"#,
            // Nesting bomb.
            #"<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">"# + String(repeating: "<a>", count: 5000)
                + String(repeating: "</a>", count: 5000) + "</epp>",
        ]
        for frame in hostile {
            let session = try await world.loggedIn()
            let answer = try await world.send(session, frame)
            #expect(answer.code == 2001, "\(answer.text)")
            #expect(answer.closes)
            #expect(!answer.text.contains("root:"))
            #expect(await session.state == .closed)
        }
        try world.validateResponses()
    }

    @Test func serverTransactionIDsAreUnique() async throws {
        let world = try await EPPWorld.make()
        let session = try await world.loggedIn()
        var seen = Set<String>()
        for _ in 0..<50 {
            let answer = try await world.send(session, Frames.check([Fixture.eid(1)]))
            let id = try #require(answer.value("svTRID"))
            #expect(seen.insert(id).inserted)
        }
    }
}
