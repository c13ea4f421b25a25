import ArgumentParser
import Foundation
import MNOSimulator
import PKI
import X509

extension MNOCommand {
    /// `iotreg mno simulate`: a mobile operator with a fleet of simulated eSIMs, working the registry's task queue
    /// with its MNO token until stopped (Ctrl-C), as a real operator's integration would.
    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a simulated MNO: long-poll its tasks, drive simulated eSIMs (keys, CSRs, payloads, wipes).")

        @OptionGroup var client: ClientOptions

        @Option(help: "Where the eSIMs live (one state file each); existing ones are loaded.")
        var fleet: String = "./iotreg-esims"

        @Option(help: "The registry root certificate (PEM) new eSIMs are personalised with.")
        var root: String

        @Option(help: "A file of EIDs (one per line) to put on the network.")
        var eids: String?

        @Option(help: "Tasks worked on at once.")
        var concurrency: Int = 32

        func run() async throws {
            let registryClient = try client.client()
            guard let token = registryClient.token else { throw ValidationError("give the MNO's --token") }
            let rootCertificate = try Certificate(pemOrDER: Array(try Data(contentsOf: URL(fileURLWithPath: root))))
            let mno = try SimulatedMNO(
                channel: RESTMNOTaskChannel(baseURL: registryClient.baseURL, token: token),
                directory: URL(fileURLWithPath: fleet), registryRoot: rootCertificate,
                configuration: .init(concurrency: concurrency))
            if let eids {
                let list = try String(contentsOfFile: eids, encoding: .utf8).split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                try await mno.addDevices(list)
            }
            print(
                "simulated MNO with \(await mno.deviceEIDs.count) eSIMs working \(registryClient.baseURL.absoluteString)"
            )
            flushStandardOutput()
            await mno.start()
            var last = ""
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(2))
                let stats = "\(await mno.currentStats)"
                if stats != last {
                    print(stats)
                    flushStandardOutput()
                    last = stats
                }
            }
            await mno.stop()
        }
    }
}
