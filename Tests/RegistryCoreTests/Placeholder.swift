import Testing

@testable import RegistryCore

@Suite struct RegistryCorePlaceholderTests {
    @Test func moduleLinks() { _ = RegistryCoreModule.self }
}
