import Foundation
import RegistryCore
import RegistryStorePostgres
import RegistryStoreSQLite

/// The data folder of one registry: database, operator token, configuration, CA (see `RegistryHome+CA.swift`).
///
/// Everything secret in it is created 0600 inside a 0700 folder.
struct RegistryHome {
    let directory: URL

    init(path: String?) {
        let chosen = path ?? ProcessInfo.processInfo.environment["IOTREG_DATA"] ?? "./iotreg-data"
        directory = URL(fileURLWithPath: chosen, isDirectory: true).standardizedFileURL
    }

    var databaseURL: URL { directory.appendingPathComponent("registry.sqlite") }
    var tokenURL: URL { directory.appendingPathComponent("operator.token") }
    var configurationURL: URL { directory.appendingPathComponent("registry.json") }

    var isInitialised: Bool { FileManager.default.fileExists(atPath: configurationURL.path) }

    var isEmptyOrMissing: Bool {
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return contents.isEmpty
    }

    /// The persisted settings chosen at `init`.
    struct Settings: Codable {
        var zone: String
        var database: String?
        var createdAt: Date
    }

    func settings() throws -> Settings {
        guard isInitialised else {
            throw CLIError("\(directory.path) is not a registry folder; run `iotreg init --data \(directory.path)`")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Settings.self, from: Data(contentsOf: configurationURL))
    }

    func openStore(databaseURL override: String?) async throws -> any RegistryStore {
        if let override, override.hasPrefix("postgres") {
            let store = try PostgresRegistryStore(url: override)
            try await store.migrate()
            return store
        }
        let path = override.map { $0.replacingOccurrences(of: "sqlite://", with: "") } ?? databaseURL.path
        let store = try SQLiteRegistryStore(path: path)
        try await store.migrate()
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return store
    }

    /// Creates the folder, the database and the first operator token; refuses an existing registry.
    func initialise(zone: String, database: String?, publicURL: String = "http://127.0.0.1:8080") async throws
        -> APIToken
    {
        guard !isInitialised else {
            throw CLIError("\(directory.path) already holds a registry; refusing to overwrite it")
        }
        let fileManager = FileManager.default
        try fileManager.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try fileManager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        let store = try await openStore(databaseURL: database)
        let registry = Registry(store: store)
        let token = try await registry.bootstrapOperator()
        try Self.writeSecret(Data((token.secret + "\n").utf8), to: tokenURL)
        let settings = Settings(zone: zone, database: database, createdAt: Date())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try createCA(zone: zone, publicURL: publicURL)
        try encoder.encode(settings).write(to: configurationURL)
        return token
    }

    /// Writes `data` readable by the owner only (created 0600 before any byte is written).
    static func writeSecret(_ data: Data, to url: URL) throws {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: url.path) { try fileManager.removeItem(at: url) }
        guard fileManager.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot create \(url.path)")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.write(contentsOf: data)
        try handle.synchronize()
    }
}

/// A CLI failure with a message for the operator.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
