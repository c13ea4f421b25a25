import Testing

@testable import Payload

@Suite struct PayloadPlaceholderTests {
    @Test func moduleLinks() { _ = PayloadModule.self }
}
