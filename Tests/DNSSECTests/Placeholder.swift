import Testing

@testable import DNSSEC

@Suite struct DNSSECPlaceholderTests {
    @Test func moduleLinks() { _ = DNSSECModule.self }
}
