public import Foundation

/// Field checks shared by every use case, each failing with a message that names the field.
enum Validate {
    static func name(_ text: String, field: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw RegistryError.invalidInput("\(field) must be 1 to 200 characters")
        }
        guard !trimmed.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw RegistryError.invalidInput("\(field) must not contain control characters")
        }
        return trimmed
    }

    /// A DNS hostname in preferred syntax (RFC 1123), without a trailing dot, lowercased.
    static func hostname(_ text: String, field: String) throws -> String {
        var host = text.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            !host.isEmpty && host.utf8.count <= 253 && labels.count >= 2
            && labels.allSatisfy { label in
                !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                    && label.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
            }
        guard valid else {
            throw RegistryError.invalidInput("\(field) '\(text)' is not a valid DNS hostname (e.g. iot.parkoserv.ca)")
        }
        return host
    }

    static func url(_ text: String, field: String) throws -> String {
        guard text.count <= 2048, let url = URL(string: text), let scheme = url.scheme,
            ["https", "http", "mqtts", "coaps"].contains(scheme.lowercased()), url.host != nil
        else {
            throw RegistryError.invalidInput("\(field) '\(text)' is not an absolute https/mqtts/coaps URL")
        }
        return text
    }

    static func optionalText(_ text: String?, field: String, max: Int = 200) throws -> String? {
        guard let text else { return nil }
        guard text.count <= max else { throw RegistryError.invalidInput("\(field) must be at most \(max) characters") }
        guard !text.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw RegistryError.invalidInput("\(field) must not contain control characters")
        }
        return text
    }
}

/// Minimal PEM handling for certificates submitted by tenants (the PKI module does the X.509 checks).
public enum PEM {
    /// The DER bytes of the first `CERTIFICATE` block.
    public static func certificateDER(_ pem: String) throws -> Data {
        try blockDER(pem, label: "CERTIFICATE")
    }

    /// The DER bytes of the first block with `label`.
    public static func blockDER(_ pem: String, label: String) throws -> Data {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let start = pem.range(of: begin), let stop = pem.range(of: end, range: start.upperBound..<pem.endIndex)
        else {
            throw RegistryError.invalidInput("expected a PEM block '\(begin)' … '\(end)'")
        }
        let body = pem[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        guard let der = Data(base64Encoded: String(body)), der.count > 16, der.first == 0x30 else {
            throw RegistryError.invalidInput("the \(label) PEM block does not hold base64 DER")
        }
        return der
    }
}
