/// Splits master-file text (RFC 1035 §5.1) into logical lines of fields.
///
/// Handles `;` comments, `( … )` continuation over several physical lines, quoted strings, and backslash escapes
/// (kept in the field text; names and strings unescape them later).
struct ZoneLexer {
    struct Line {
        var tokens: [ZoneToken]
        /// The physical line began with a blank: the owner is the previous record's.
        var startsWithBlank: Bool
        var number: Int
    }

    private let bytes: [UInt8]
    private var i = 0
    private(set) var lineNumber = 1

    init(_ text: String) { bytes = Array(text.utf8) }

    mutating func nextLine() throws -> Line? {
        while i < bytes.count {
            let startLine = lineNumber
            let blank = bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t")
            var tokens: [ZoneToken] = []
            var depth = 0
            var current: [UInt8] = []
            var inToken = false
            func flush() {
                if inToken { tokens.append(ZoneToken(text: String(decoding: current, as: UTF8.self), quoted: false)) }
                current = []
                inToken = false
            }
            lineLoop: while i < bytes.count {
                let c = bytes[i]
                switch c {
                case UInt8(ascii: "\n"):
                    flush()
                    lineNumber += 1
                    i += 1
                    if depth == 0 { break lineLoop }
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    flush()
                    i += 1
                case UInt8(ascii: ";"):
                    flush()
                    while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
                case UInt8(ascii: "("):
                    flush()
                    depth += 1
                    i += 1
                case UInt8(ascii: ")"):
                    flush()
                    guard depth > 0 else {
                        throw DNSWireError(.badZoneFile, "line \(lineNumber): ')' without a matching '('")
                    }
                    depth -= 1
                    i += 1
                case UInt8(ascii: "\""):
                    flush()
                    i += 1
                    var q: [UInt8] = []
                    var closed = false
                    while i < bytes.count {
                        let d = bytes[i]
                        if d == UInt8(ascii: "\\"), i + 1 < bytes.count {
                            q.append(d)
                            q.append(bytes[i + 1])
                            i += 2
                            continue
                        }
                        if d == UInt8(ascii: "\"") {
                            closed = true
                            i += 1
                            break
                        }
                        if d == UInt8(ascii: "\n") { lineNumber += 1 }
                        q.append(d)
                        i += 1
                    }
                    guard closed else {
                        throw DNSWireError(.badZoneFile, "line \(startLine): unterminated quoted string")
                    }
                    tokens.append(ZoneToken(text: String(decoding: q, as: UTF8.self), quoted: true))
                case UInt8(ascii: "\\"):
                    inToken = true
                    current.append(c)
                    if i + 1 < bytes.count {
                        current.append(bytes[i + 1])
                        i += 2
                    } else {
                        i += 1
                    }
                default:
                    inToken = true
                    current.append(c)
                    i += 1
                }
            }
            flush()
            guard depth == 0 else { throw DNSWireError(.badZoneFile, "line \(startLine): '(' is never closed") }
            if !tokens.isEmpty { return Line(tokens: tokens, startsWithBlank: blank, number: startLine) }
        }
        return nil
    }
}
