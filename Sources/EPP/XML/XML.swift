/// A small, safe XML 1.0 reader for EPP frames, and the element tree it produces.
///
/// EPP needs only elements, attributes, namespaces and character data. Everything that makes general XML parsers
/// dangerous on a network door is refused outright rather than configured away: a document type declaration
/// (`<!DOCTYPE`, hence any DTD, internal or external), entity declarations, and references to any entity other
/// than the five predefined ones. Nothing is ever fetched, nothing expands, so XXE and "billion laughs" cannot
/// happen by construction. Depth, element count, attribute count and text length are bounded by ``XML/Limits``.
///
/// ```swift
/// let root = try XML.parse(Array(frame), limits: .init())
/// if root.namespace == EPPNamespace.epp, root.name == "epp" { … }
/// ```
public enum XML {
    /// Bounds on what one document may contain; exceeding any of them is `EPPError.Code.limitExceeded`.
    public struct Limits: Sendable, Hashable {
        /// Deepest element nesting (the EPP root is depth 1). EPP commands need about 7.
        public var maxDepth: Int
        /// Total elements in the document.
        public var maxElements: Int
        /// Attributes on one element (namespace declarations included).
        public var maxAttributes: Int
        /// Bytes of character data in one element, and in one attribute value.
        public var maxTextBytes: Int

        public init(maxDepth: Int = 24, maxElements: Int = 4_096, maxAttributes: Int = 32, maxTextBytes: Int = 65_536) {
            self.maxDepth = maxDepth
            self.maxElements = maxElements
            self.maxAttributes = maxAttributes
            self.maxTextBytes = maxTextBytes
        }
    }

    /// One attribute, namespace-resolved (unprefixed attributes have no namespace, XML Namespaces §6.2).
    public struct Attribute: Sendable, Hashable {
        public var namespace: String
        public var name: String
        public var value: String

        public init(namespace: String = "", name: String, value: String) {
            self.namespace = namespace
            self.name = name
            self.value = value
        }
    }

    /// One element with its namespace URI resolved; `text` is the character data directly inside it.
    public struct Element: Sendable, Hashable {
        /// The namespace URI ("" when the element is in no namespace).
        public var namespace: String
        /// The local name.
        public var name: String
        public var attributes: [Attribute]
        public var children: [Element]
        public var text: String

        public init(
            namespace: String, name: String, attributes: [Attribute] = [], children: [Element] = [], text: String = ""
        ) {
            self.namespace = namespace
            self.name = name
            self.attributes = attributes
            self.children = children
            self.text = text
        }

        /// The first child with this namespace and local name.
        public func child(_ name: String, in namespace: String) -> Element? {
            children.first { $0.name == name && $0.namespace == namespace }
        }

        /// Every child with this namespace and local name.
        public func children(_ name: String, in namespace: String) -> [Element] {
            children.filter { $0.name == name && $0.namespace == namespace }
        }

        /// The value of an unprefixed attribute.
        public func attribute(_ name: String) -> String? {
            attributes.first { $0.name == name && $0.namespace == "" }?.value
        }

        /// The text with XML whitespace trimmed at both ends (XSD `token`-like collapsing is left to callers).
        public var trimmedText: String {
            let bytes = Array(text.utf8)
            var start = 0
            var end = bytes.count
            while start < end, XML.isWhitespace(bytes[start]) { start += 1 }
            while end > start, XML.isWhitespace(bytes[end - 1]) { end -= 1 }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
    }

    /// Parses one UTF-8 document into its root element.
    ///
    /// - Parameters:
    ///   - bytes: the whole document (an EPP frame's payload).
    ///   - limits: bounds on depth, size and counts.
    /// - Returns: the root element.
    /// - Throws: ``EPPError`` `malformedXML`, `forbiddenDeclaration` (DOCTYPE, entity declarations or references),
    ///   `limitExceeded`, or `unsupportedEncoding`. Never traps, whatever the input.
    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws -> Element {
        var parser = XMLReader(bytes: bytes, limits: limits)
        return try parser.document()
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Escapes character data for element content (`&`, `<`, `>`).
    public static func escapeText(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Escapes an attribute value written between double quotes.
    public static func escapeAttribute(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x22 || $0 < 0x20 }) else {
            return text
        }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case "\"": out += "&quot;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether every character of `text` may appear in an XML 1.0 document (Char production, §2.2).
    public static func isAllowedText(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            let v = scalar.value
            return v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD)
                || v >= 0x10000
        }
    }
}
