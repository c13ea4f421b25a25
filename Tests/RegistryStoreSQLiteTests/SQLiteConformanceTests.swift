import Foundation
import RegistryCore
import RegistryStoreSQLite
import RegistryTesting
import Testing

@Suite struct SQLiteConformanceTests {
    @Test("in memory", arguments: RegistryStoreConformance.names)
    func inMemory(_ name: String) async throws {
        let store = try SQLiteRegistryStore(path: ":memory:")
        try await store.migrate()
        try await RegistryStoreConformance.check(named: name)(store)
    }

    @Test("on disk (WAL)", arguments: RegistryStoreConformance.names)
    func onDisk(_ name: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("iotreg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteRegistryStore(path: directory.appendingPathComponent("registry.sqlite").path)
        try await store.migrate()
        try await store.migrate()  // idempotent
        try await RegistryStoreConformance.check(named: name)(store)
    }
}
