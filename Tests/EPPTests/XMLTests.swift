import EPP
import Testing

/// The safe XML reader: what it reads, what it refuses, and that no input makes it trap or hang.
@Suite struct XMLTests {
    @Test func readsNamespacesAttributesReferencesAndCDATA() throws {
        let text = """
            \u{FEFF}<?xml version="1.0" encoding="utf-8" standalone="no"?>
            <!-- a comment --><?pi data?>
            <e:epp xmlns:e="urn:a" xmlns="urn:default" e:x='1' y="a&amp;b&#x41;&#66;&lt;">
              <child>t&gt;<![CDATA[<raw & text>]]></child><other xmlns="">n</other><e:self/>
            </e:epp>
            """
        let root = try XML.parse(Array(text.utf8))
        #expect(root.namespace == "urn:a" && root.name == "epp")
        #expect(
            root.attributes == [
                XML.Attribute(namespace: "urn:a", name: "x", value: "1"), XML.Attribute(name: "y", value: "a&bAB<"),
            ])
        #expect(root.children.map(\.namespace) == ["urn:default", "", "urn:a"])
        #expect(root.children[0].text == "t><raw & text>")
        #expect(root.children[1].text == "n")
    }

    @Test(arguments: [
        ("dtd_internal_subset", #"<!DOCTYPE a [<!ELEMENT a ANY>]><a/>"#),
        ("dtd_external", #"<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>"#),
        ("entity_declaration_in_content", #"<a><!ENTITY x "y"></a>"#),
        ("undeclared_entity", "<a>&xxe;</a>"),
        ("undeclared_entity_in_attribute", #"<a b="&xxe;"/>"#),
    ])
    func refusesDeclarationsAndEntities(name: String, text: String) {
        #expect(throws: EPPError(.forbiddenDeclaration, "")) { try XML.parse(Array(text.utf8)) }
    }

    @Test func parameterEntityTextIsJustText() throws {
        // '%' outside a DTD is ordinary character data; the reader must not treat it specially.
        #expect(try XML.parse(Array("<a>%xxe;</a>".utf8)).text == "%xxe;")
    }

    @Test(arguments: [
        ("unclosed", "<a><b></a>"),
        ("mismatched", "<a></b>"),
        ("two_roots", "<a/><b/>"),
        ("unbound_prefix", "<p:a/>"),
        ("duplicate_attribute", #"<a x="1" x="2"/>"#),
        ("unquoted_attribute", "<a x=1/>"),
        ("lt_in_attribute", #"<a x="<"/>"#),
        ("control_character", "<a>\u{01}</a>"),
        ("bad_char_reference", "<a>&#0;</a>"),
        ("latin1_declared", #"<?xml version="1.0" encoding="ISO-8859-1"?><a/>"#),
        ("empty", ""),
        ("text_only", "hello"),
        ("double_hyphen_comment", "<a><!-- a -- b --></a>"),
    ])
    func refusesMalformedDocuments(name: String, text: String) {
        #expect(throws: EPPError.self) { try XML.parse(Array(text.utf8)) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: EPPError(.malformedXML, "")) {
            try XML.parse([0x3C, 0x61, 0x3E, 0xC3, 0x28, 0x3C, 0x2F, 0x61, 0x3E])
        }
    }

    @Test func limitsAreEnforced() {
        let limits = XML.Limits(maxDepth: 3, maxElements: 5, maxAttributes: 2, maxTextBytes: 8)
        let cases = [
            "<a><b><c><d/></c></b></a>", "<a><b/><b/><b/><b/><b/></a>", #"<a x="1" y="2" z="3"/>"#,
            "<a>123456789</a>", #"<a x="123456789"/>"#,
        ]
        for text in cases {
            #expect(throws: EPPError(.limitExceeded, "")) { try XML.parse(Array(text.utf8), limits: limits) }
        }
    }

    @Test func escapingRoundTrips() throws {
        let tricky = #"a<b>&c"d'e"#
        let text = "<a x=\"\(XML.escapeAttribute(tricky))\">\(XML.escapeText(tricky))</a>"
        let root = try XML.parse(Array(text.utf8))
        #expect(root.text == tricky)
        #expect(root.attribute("x") == tricky)
    }

    /// Deterministic mutations of a real command: every outcome is a value or an EPPError, never a trap or hang.
    @Test func mutatedFramesNeverTrap() {
        let seed = Array(
            Frames.create(Fixture.eid(1), iccid: Fixture.iccid(1), owner: "owner-x", mno: "mno-y").utf8)
        var rng = SplitMix64(seed: 0x5EED_E99)
        let decoder = EPPRequestDecoder()
        let alphabet = Array(#"<>/&;#x"'=:![]-? abc"#.utf8) + [0x00, 0xFF, 0xC3]
        for round in 0..<3000 {
            var bytes = seed
            for _ in 0..<(1 + Int(rng.next() % 8)) {
                guard !bytes.isEmpty else { break }
                let position = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[position] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                case 2: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: position)
                default: bytes = Array(bytes[..<position])
                }
            }
            if round % 7 == 0 { bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
            _ = decoder.decode(bytes)
        }
    }
}

/// A small deterministic generator for mutation tests.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
