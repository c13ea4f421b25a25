import Testing

@testable import DNSWire

@Suite struct DNSNameTests {
    @Test func parsesPresentationWithEscapes() throws {
        let n = try DNSName("a\\.b.\\065\\\\c.example.")
        #expect(n.labelCount == 3)
        #expect(Array(n.labels[0]) == Array("a.b".utf8))
        #expect(Array(n.labels[1]) == Array("A\\c".utf8))
        #expect(n.description == "a\\.b.A\\\\c.example.")
        #expect(try DNSName(n.description) == n)
        #expect(try DNSName("\\000.x.").description == "\\000.x.")
    }

    @Test func relativeNamesAndOrigin() throws {
        let origin = try DNSName("iotregistry.test.")
        #expect(try DNSName("www", origin: origin).description == "www.iotregistry.test.")
        #expect(try DNSName("@", origin: origin) == origin)
        #expect(throws: DNSWireError(.badPresentation, "")) { try DNSName("www") }
        #expect(try DNSName(".") == .root)
    }

    @Test func refusesBadLabelsAndLongNames() {
        #expect(throws: DNSWireError(.badLabel, "")) { try DNSName("a..b.") }
        #expect(throws: DNSWireError(.badLabel, "")) { try DNSName(String(repeating: "x", count: 64) + ".") }
        let long = Array(repeating: String(repeating: "x", count: 63), count: 4).joined(separator: ".") + "."
        #expect(throws: DNSWireError(.nameTooLong, "")) { try DNSName(long) }
        #expect(throws: DNSWireError(.badPresentation, "")) { try DNSName("a\\25.") }
        #expect(throws: DNSWireError(.badPresentation, "")) { try DNSName("a\\256.") }
    }

    @Test func caseInsensitiveEqualityAndHash() throws {
        let a = try DNSName("WWW.Example.")
        let b = try DNSName("www.example.")
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(a.lowercased().description == "www.example.")
        #expect(a.isSubdomain(of: try DNSName("EXAMPLE.")))
        #expect(!a.isSubdomain(of: try DNSName("ample.")))
        #expect(a.isSubdomain(of: .root))
    }

    @Test func wildcardAndStructure() throws {
        let w = try DNSName("*._device.iotregistry.test.")
        #expect(w.isWildcard)
        #expect(w.labelCount == 4)
        #expect(w.parent == (try DNSName("_device.iotregistry.test.")))
        #expect(w.suffix(labels: 2) == (try DNSName("iotregistry.test.")))
        #expect(try DNSName("x.").prepending(label: Array("*".utf8)).isWildcard)
    }

    /// The example of RFC 4034 §6.1, in canonical order.
    @Test func canonicalOrderRFC4034() throws {
        let ordered = try [
            "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.", "z.example.",
            "\\001.z.example.", "*.z.example.", "\\200.z.example.",
        ].map { try DNSName($0) }
        #expect(ordered.shuffled().sorted() == ordered)
        for (i, x) in ordered.enumerated() {
            for (j, y) in ordered.enumerated() {
                #expect(DNSName.canonicalCompare(x, y) == (i < j ? -1 : i == j ? 0 : 1))
            }
        }
    }

    @Test func serialArithmeticRFC1982() {
        #expect(SerialNumber(1).isBefore(SerialNumber(2)))
        #expect(SerialNumber(0xFFFF_FFFF).isBefore(SerialNumber(0)))
        #expect(!SerialNumber(5).isBefore(SerialNumber(5)))
        #expect(SerialNumber(0xFFFF_FFFF).next().rawValue == 0)
        #expect(SerialNumber(7).next(atLeast: 2026112300).rawValue == 2026112300)
    }
}
