import Testing

@testable import DNSWire

@Suite struct DNSWirePlaceholderTests {
    @Test func moduleLinks() { _ = DNSWireModule.self }
}
