// The subset of XML 1.0 (Fifth Edition) read here, with what is refused:
//
//   document  ::= BOM? XMLDecl? Misc* element Misc*
//   XMLDecl   ::= '<?xml' version ('encoding' = UTF-8)? standalone? '?>'   (any other encoding: refused)
//   Misc      ::= Comment | PI | S
//   doctypedecl ('<!DOCTYPE')                                             refused: forbiddenDeclaration
//   '<!ENTITY', '<!ELEMENT', '<!ATTLIST', '<!NOTATION' anywhere            refused: forbiddenDeclaration
//   Reference ::= '&lt;' | '&gt;' | '&amp;' | '&apos;' | '&quot;' | '&#' [0-9]+ ';' | '&#x' [0-9a-fA-F]+ ';'
//   any other '&name;'                                                    refused: forbiddenDeclaration
//   CDATA sections, comments and processing instructions in content       read (PIs and comments dropped)
//
// Namespaces in XML 1.0: xmlns / xmlns:p declarations are scoped per element; an unbound prefix is malformed.

/// The byte-level reader behind ``XML/parse(_:limits:)``: a cursor over UTF-8 that never reads out of bounds.
struct XMLReader {
    private let bytes: [UInt8]
    private let limits: XML.Limits
    private var index = 0
    private var elementCount = 0
    /// Namespace scopes: one dictionary per open element (prefix → URI; "" is the default namespace).
    private var scopes: [[String: String]] = [["xml": "http://www.w3.org/XML/1998/namespace"]]

    init(bytes: [UInt8], limits: XML.Limits) {
        self.bytes = bytes
        self.limits = limits
    }

    // MARK: - document

    mutating func document() throws -> XML.Element {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw EPPError.malformedXML("the frame is not valid UTF-8")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        if lookingAt("<?xml") && isNameEnd(at: index + 5) { try xmlDeclaration() }
        try misc()
        if lookingAt("<!DOCTYPE") || lookingAt("<!doctype") {
            throw EPPError.forbiddenDeclaration("document type declarations (DTDs) are not accepted")
        }
        guard lookingAt("<") else { throw EPPError.malformedXML("expected the root element") }
        let root = try element(depth: 1)
        try misc()
        guard index == bytes.count else { throw EPPError.malformedXML("content after the root element") }
        return root
    }

    private mutating func xmlDeclaration() throws {
        index += 5
        let attributes = try pseudoAttributes(until: "?>")
        guard attributes["version"].map({ $0.hasPrefix("1.") }) ?? false else {
            throw EPPError.malformedXML("the XML declaration needs version=\"1.x\"")
        }
        if let encoding = attributes["encoding"], encoding.lowercased() != "utf-8" {
            throw EPPError.unsupportedEncoding("only UTF-8 is accepted (got encoding=\"\(encoding.prefix(20))\")")
        }
    }

    private mutating func misc() throws {
        while true {
            skipWhitespace()
            if lookingAt("<!--") {
                try comment()
            } else if lookingAt("<?") {
                try processingInstruction()
            } else {
                return
            }
        }
    }

    // MARK: - elements

    private mutating func element(depth: Int) throws -> XML.Element {
        guard depth <= limits.maxDepth else {
            throw EPPError.limitExceeded("elements nest deeper than \(limits.maxDepth)")
        }
        elementCount += 1
        guard elementCount <= limits.maxElements else {
            throw EPPError.limitExceeded("more than \(limits.maxElements) elements")
        }
        index += 1  // "<"
        let qname = try name()
        var rawAttributes: [(qname: String, value: String)] = []
        var selfClosing = false
        while true {
            let hadSpace = skipWhitespace()
            guard index < bytes.count else { throw EPPError.malformedXML("unterminated start tag <\(qname)>") }
            if bytes[index] == UInt8(ascii: ">") {
                index += 1
                break
            }
            if lookingAt("/>") {
                index += 2
                selfClosing = true
                break
            }
            guard hadSpace else { throw EPPError.malformedXML("attributes of <\(qname)> need whitespace") }
            let attributeName = try name()
            skipWhitespace()
            guard consume("=") else { throw EPPError.malformedXML("attribute \(attributeName) needs '='") }
            skipWhitespace()
            let value = try attributeValue()
            guard !rawAttributes.contains(where: { $0.qname == attributeName }) else {
                throw EPPError.malformedXML("attribute \(attributeName) appears twice on <\(qname)>")
            }
            rawAttributes.append((attributeName, value))
            guard rawAttributes.count <= limits.maxAttributes else {
                throw EPPError.limitExceeded("more than \(limits.maxAttributes) attributes on <\(qname)>")
            }
        }

        // Namespace declarations first, then resolve names against the new scope.
        var scope: [String: String] = [:]
        for (attributeName, value) in rawAttributes {
            if attributeName == "xmlns" {
                scope[""] = value
            } else if attributeName.hasPrefix("xmlns:") {
                let prefix = String(attributeName.dropFirst(6))
                guard !value.isEmpty, prefix != "xmlns", prefix != "xml" || value == scopes[0]["xml"] else {
                    throw EPPError.malformedXML("namespace prefix \(prefix) cannot be bound to \"\(value)\"")
                }
                scope[prefix] = value
            }
        }
        scopes.append(scope)
        defer { scopes.removeLast() }

        let (elementNamespace, localName) = try resolve(qname, isElement: true)
        var attributes: [XML.Attribute] = []
        for (attributeName, value) in rawAttributes where attributeName != "xmlns" && !attributeName.hasPrefix("xmlns:")
        {
            let (attributeNamespace, attributeLocal) =
                attributeName.contains(":") ? try resolve(attributeName, isElement: false) : ("", attributeName)
            guard !attributes.contains(where: { $0.namespace == attributeNamespace && $0.name == attributeLocal })
            else { throw EPPError.malformedXML("attribute \(attributeLocal) appears twice on <\(qname)>") }
            attributes.append(XML.Attribute(namespace: attributeNamespace, name: attributeLocal, value: value))
        }
        var result = XML.Element(namespace: elementNamespace, name: localName, attributes: attributes)
        if selfClosing { return result }

        // Content until the matching end tag.
        var text: [UInt8] = []
        while true {
            guard index < bytes.count else { throw EPPError.malformedXML("<\(qname)> is never closed") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "<") {
                if lookingAt("</") {
                    index += 2
                    let closing = try name()
                    skipWhitespace()
                    guard closing == qname, consume(">") else {
                        throw EPPError.malformedXML("</\(closing.prefix(40))> does not close <\(qname)>")
                    }
                    result.text = String(decoding: text, as: UTF8.self)
                    return result
                } else if lookingAt("<!--") {
                    try comment()
                } else if lookingAt("<![CDATA[") {
                    index += 9
                    guard let end = find("]]>") else { throw EPPError.malformedXML("unterminated CDATA section") }
                    text += bytes[index..<end]
                    index = end + 3
                } else if lookingAt("<!") {
                    throw EPPError.forbiddenDeclaration("markup declarations (<!ENTITY, <!DOCTYPE, …) are not accepted")
                } else if lookingAt("<?") {
                    try processingInstruction()
                } else {
                    result.children.append(try element(depth: depth + 1))
                }
            } else if byte == UInt8(ascii: "&") {
                try reference(into: &text)
            } else {
                guard isAllowed(byte) else { throw EPPError.malformedXML("control character 0x\(hex(byte)) in text") }
                if byte == UInt8(ascii: ">"), text.count >= 2, text[text.count - 1] == 93, text[text.count - 2] == 93 {
                    throw EPPError.malformedXML("']]>' may not appear in text")
                }
                text.append(byte)
                index += 1
            }
            guard text.count <= limits.maxTextBytes else {
                throw EPPError.limitExceeded("text in <\(qname)> is longer than \(limits.maxTextBytes) bytes")
            }
        }
    }

    private func resolve(_ qname: String, isElement: Bool) throws -> (String, String) {
        let parts = qname.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            return (isElement ? lookup("") ?? "" : "", qname)
        case 2 where !parts[0].isEmpty && !parts[1].isEmpty:
            guard let uri = lookup(String(parts[0])) else {
                throw EPPError.malformedXML("namespace prefix \(parts[0]) is not declared")
            }
            return (uri, String(parts[1]))
        default:
            throw EPPError.malformedXML("\(qname.prefix(40)) is not a valid qualified name")
        }
    }

    private func lookup(_ prefix: String) -> String? {
        for scope in scopes.reversed() {
            if let uri = scope[prefix] { return uri.isEmpty && prefix == "" ? nil : uri }
        }
        return nil
    }

    // MARK: - pieces

    private mutating func name() throws -> String {
        let start = index
        while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
        guard index > start, index - start <= 256 else { throw EPPError.malformedXML("expected a name") }
        let first = bytes[start]
        guard !(first >= 0x30 && first <= 0x39), first != UInt8(ascii: "-"), first != UInt8(ascii: ".") else {
            throw EPPError.malformedXML("a name cannot start with a digit, '-' or '.'")
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func attributeValue() throws -> String {
        guard index < bytes.count, bytes[index] == 0x22 || bytes[index] == 0x27 else {
            throw EPPError.malformedXML("attribute values must be quoted")
        }
        let quote = bytes[index]
        index += 1
        var value: [UInt8] = []
        while true {
            guard index < bytes.count else { throw EPPError.malformedXML("unterminated attribute value") }
            let byte = bytes[index]
            if byte == quote {
                index += 1
                return String(decoding: value, as: UTF8.self)
            }
            if byte == UInt8(ascii: "<") { throw EPPError.malformedXML("'<' in an attribute value") }
            if byte == UInt8(ascii: "&") {
                try reference(into: &value)
            } else {
                guard isAllowed(byte) else { throw EPPError.malformedXML("control character in an attribute value") }
                // Attribute-value normalisation (§3.3.3): literal whitespace becomes a space.
                value.append(byte == 0x09 || byte == 0x0A || byte == 0x0D ? 0x20 : byte)
                index += 1
            }
            guard value.count <= limits.maxTextBytes else {
                throw EPPError.limitExceeded("an attribute value is longer than \(limits.maxTextBytes) bytes")
            }
        }
    }

    /// `&…;` at the cursor: the five predefined entities and character references only.
    private mutating func reference(into output: inout [UInt8]) throws {
        index += 1
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: ";"), index - start < 12 { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: ";") else {
            throw EPPError.malformedXML("'&' must start a reference such as &amp;")
        }
        let body = String(decoding: bytes[start..<index], as: UTF8.self)
        index += 1
        switch body {
        case "lt": output.append(UInt8(ascii: "<"))
        case "gt": output.append(UInt8(ascii: ">"))
        case "amp": output.append(UInt8(ascii: "&"))
        case "apos": output.append(UInt8(ascii: "'"))
        case "quot": output.append(UInt8(ascii: "\""))
        default:
            guard body.hasPrefix("#") else {
                throw EPPError.forbiddenDeclaration("entity reference &\(body.prefix(12)); is not accepted (no DTDs)")
            }
            let digits = body.dropFirst()
            let value: UInt32? =
                digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value, !digits.isEmpty, !digits.hasPrefix("+"), !digits.hasPrefix("x+"),
                let scalar = Unicode.Scalar(value), XML.isAllowedText(String(Character(scalar)))
            else {
                throw EPPError.malformedXML("&\(body.prefix(12)); is not an allowed character")
            }
            output += Array(String(Character(scalar)).utf8)
        }
    }

    private mutating func comment() throws {
        index += 4
        guard let end = find("--") else { throw EPPError.malformedXML("unterminated comment") }
        guard end + 2 < bytes.count, bytes[end + 2] == UInt8(ascii: ">") else {
            throw EPPError.malformedXML("'--' may not appear inside a comment")
        }
        index = end + 3
    }

    private mutating func processingInstruction() throws {
        index += 2
        let target = try name()
        guard target.lowercased() != "xml" else { throw EPPError.malformedXML("misplaced XML declaration") }
        guard let end = find("?>") else { throw EPPError.malformedXML("unterminated processing instruction") }
        index = end + 2
    }

    /// `name="value"` pairs of the XML declaration, up to `terminator`.
    private mutating func pseudoAttributes(until terminator: String) throws -> [String: String] {
        var result: [String: String] = [:]
        while true {
            skipWhitespace()
            if consume(terminator) { return result }
            let key = try name()
            skipWhitespace()
            guard consume("=") else { throw EPPError.malformedXML("malformed XML declaration") }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == 0x22 || bytes[index] == 0x27 else {
                throw EPPError.malformedXML("malformed XML declaration")
            }
            let quote = bytes[index]
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != quote, index - start < 64 { index += 1 }
            guard index < bytes.count, bytes[index] == quote else {
                throw EPPError.malformedXML("malformed XML declaration")
            }
            result[key] = String(decoding: bytes[start..<index], as: UTF8.self)
            index += 1
            guard result.count <= 3 else { throw EPPError.malformedXML("malformed XML declaration") }
        }
    }

    // MARK: - cursor helpers

    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = index
        while index < bytes.count, XML.isWhitespace(bytes[index]) { index += 1 }
        return index > start
    }

    private func lookingAt(_ literal: String) -> Bool {
        let utf8 = literal.utf8
        guard bytes.count - index >= utf8.count else { return false }
        var position = index
        for byte in utf8 {
            guard bytes[position] == byte else { return false }
            position += 1
        }
        return true
    }

    private mutating func consume(_ literal: String) -> Bool {
        guard lookingAt(literal) else { return false }
        index += literal.utf8.count
        return true
    }

    /// The index where `literal` next starts, from the cursor on.
    private func find(_ literal: String) -> Int? {
        let needle = Array(literal.utf8)
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var position = index
        while position <= bytes.count - needle.count {
            if bytes[position] == first, Array(bytes[position..<position + needle.count]) == needle {
                return position
            }
            position += 1
        }
        return nil
    }

    private func isNameEnd(at position: Int) -> Bool {
        position < bytes.count && (XML.isWhitespace(bytes[position]) || bytes[position] == UInt8(ascii: "?"))
    }

    private func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: ":"):
            true
        default:
            byte >= 0x80
        }
    }

    private func isAllowed(_ byte: UInt8) -> Bool {
        byte >= 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private func hex(_ byte: UInt8) -> String {
        String(byte, radix: 16)
    }
}
