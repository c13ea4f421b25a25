/// Reads typed fields out of a CBOR map with integer keys, naming the structure in every error.
struct CBORMapReader {
    let entries: [CBOR: CBOR]
    let structure: String

    init(_ value: CBOR, structure: String) throws {
        guard let map = value.mapValue else {
            throw PayloadError(.unexpectedType, "\(structure) must be a CBOR map")
        }
        entries = map
        self.structure = structure
    }

    func optional(_ key: Int64) -> CBOR? { entries[.int(key)] }

    func required(_ key: Int64, _ name: String) throws -> CBOR {
        guard let value = entries[.int(key)] else {
            throw PayloadError(.missingField, "\(structure) lacks \(name) (key \(key))")
        }
        return value
    }

    func uint(_ key: Int64, _ name: String) throws -> UInt64 {
        guard let value = try required(key, name).uint64 else { throw wrongType(key, name, "an unsigned integer") }
        return value
    }

    func uint<T: FixedWidthInteger>(_ key: Int64, _ name: String, as: T.Type) throws -> T {
        guard let value = T(exactly: try uint(key, name)) else {
            throw PayloadError(.unexpectedType, "\(structure) \(name) (key \(key)) is out of range for \(T.self)")
        }
        return value
    }

    func text(_ key: Int64, _ name: String) throws -> String {
        guard let value = try required(key, name).textValue else { throw wrongType(key, name, "a text string") }
        return value
    }

    func bytes(_ key: Int64, _ name: String) throws -> [UInt8] {
        guard let value = try required(key, name).bytesValue else { throw wrongType(key, name, "a byte string") }
        return value
    }

    func optionalText(_ key: Int64, _ name: String) throws -> String? {
        guard optional(key) != nil else { return nil }
        return try text(key, name)
    }

    func optionalBytes(_ key: Int64, _ name: String) throws -> [UInt8]? {
        guard optional(key) != nil else { return nil }
        return try bytes(key, name)
    }

    func optionalUInt(_ key: Int64, _ name: String) throws -> UInt64? {
        guard optional(key) != nil else { return nil }
        return try uint(key, name)
    }

    private func wrongType(_ key: Int64, _ name: String, _ expected: String) -> PayloadError {
        PayloadError(.unexpectedType, "\(structure) \(name) (key \(key)) must be \(expected)")
    }
}

extension [CBOR: CBOR] {
    /// Sets `value` under the small integer `key` when it is present.
    mutating func set(_ key: Int64, _ value: CBOR?) {
        if let value { self[.int(key)] = value }
    }
}
