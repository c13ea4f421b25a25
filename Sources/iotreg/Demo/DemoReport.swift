import Foundation

/// What each step of the demo did: the summary table, and the exit status.
struct DemoReport {
    struct Step {
        var name: String
        var devices: Int
        var seconds: Double
        var passed: Bool
        var detail: String
    }

    var steps: [Step] = []

    var allPassed: Bool { !steps.isEmpty && steps.allSatisfy(\.passed) }

    mutating func record(
        _ name: String, devices: Int, since start: ContinuousClock.Instant, passed: Bool, _ detail: String
    ) {
        steps.append(
            Step(
                name: name, devices: devices, seconds: Self.seconds(ContinuousClock.now - start), passed: passed,
                detail: detail))
    }

    static func seconds(_ elapsed: Duration) -> Double {
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    var table: String {
        let header = ("step", "devices", "seconds", "result")
        var rows = [header]
        for step in steps {
            rows.append(
                (
                    step.name, String(step.devices), String(format: "%.2f", step.seconds),
                    (step.passed ? "ok" : "FAILED") + (step.detail.isEmpty ? "" : ": " + step.detail)
                ))
        }
        let widths = (
            rows.map(\.0.count).max() ?? 0, rows.map(\.1.count).max() ?? 0, rows.map(\.2.count).max() ?? 0
        )
        func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
            let space = String(repeating: " ", count: max(width - text.count, 0))
            return right ? space + text : text + space
        }
        var out = ""
        for (index, row) in rows.enumerated() {
            out +=
                pad(row.0, widths.0) + "  " + pad(row.1, widths.1, right: true) + "  "
                + pad(row.2, widths.2, right: true) + "  " + row.3 + "\n"
            if index == 0 {
                out += String(repeating: "-", count: widths.0 + widths.1 + widths.2 + 14) + "\n"
            }
        }
        out += allPassed ? "\nEvery meter did every step.\n" : "\nSome step failed (see above).\n"
        return out
    }
}

/// A one-line progress bar on standard error, redrawn in place.
struct ProgressBar {
    let title: String
    let total: Int

    func show(_ done: Int) {
        let width = 30
        let filled = total == 0 ? width : min(width, done * width / max(total, 1))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\r  \(title.padding(toLength: 28, withPad: " ", startingAt: 0)) [\(bar)] \(done)/\(total)"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish(_ done: Int) {
        show(done)
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
