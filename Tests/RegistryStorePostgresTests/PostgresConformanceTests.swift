import Foundation
import PostgresNIO
import RegistryCore
import RegistryStorePostgres
import RegistryTesting
import Testing

@Suite struct PostgresConformanceTests {
    @Test("the store battery", .enabled(if: TestDatabase.isAvailable), arguments: RegistryStoreConformance.names)
    func battery(_ name: String) async throws {
        try await TestDatabase.withStore { store in
            try await store.migrate()  // idempotent
            try await RegistryStoreConformance.check(named: name)(store)
        }
    }
}
