import Testing

@testable import DeviceKit

@Suite struct DeviceKitPlaceholderTests {
    @Test func moduleLinks() { _ = DeviceKitModule.self }
}
