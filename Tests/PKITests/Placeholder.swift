import Testing

@testable import PKI

@Suite struct PKIPlaceholderTests {
    @Test func moduleLinks() { _ = PKIModule.self }
}
