import Foundation
import PeerTesting
import Testing

/// The zone's DS as `iotreg zone trust-anchor` prints it, in the forms the validating peers take.
struct ZoneTrustAnchor {
    /// "<key tag> <algorithm> <digest type> <hex digest>", for unbound's `trust-anchor: "<zone> DS …"`.
    let ds: String
    /// A `trust-anchors { … static-ds … }` file for `delv -a`.
    let delvFile: URL

    /// Runs `iotreg zone trust-anchor --data data` and writes the delv file into `directory`.
    init(data: URL, directory: URL) throws {
        let anchor = try CACommandTests.iotreg(["zone", "trust-anchor", "--data", data.path])
        #expect(anchor.status == 0, "\(anchor.output)")
        let fields = anchor.stdout.split(whereSeparator: \.isWhitespace)
        let at = try #require(fields.firstIndex(of: "DS"), "\(anchor.output)")
        try #require(fields.count >= at + 5, "\(anchor.stdout)")
        let (tag, algorithm, digestType) = (fields[at + 1], fields[at + 2], fields[at + 3])
        let digest = fields[(at + 4)...].joined()
        ds = "\(tag) \(algorithm) \(digestType) \(digest)"
        delvFile = directory.appendingPathComponent("ta.conf")
        try """
        trust-anchors {
          "iotregistry.test." static-ds \(tag) \(algorithm) \(digestType) "\(digest)";
        };
        """.write(to: delvFile, atomically: true, encoding: .utf8)
    }
}
