import Foundation
import RegistryCore
import Testing

@Suite struct ISO8601Tests {
    /// Foundation's formatter is the reference; ours must write the same text, millisecond for millisecond.
    @Test(arguments: [
        0, 1, 0.999, 951_782_400.5, 1_795_454_124.123, 4_102_444_799.999, 1_700_000_000.0005, -86_400.25,
    ])
    func writesWhatFoundationWrites(_ seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let millis = Date(timeIntervalSince1970: ((seconds * 1_000_000).rounded() / 1000).rounded(.down) / 1000)
        #expect(ISO8601.string(date) == reference.string(from: millis))
        #expect(ISO8601.string(date).count == 24)
    }
}
