public import Foundation

/// Timestamps as the API and the audit log write them: RFC 3339 in UTC with milliseconds,
/// `2026-11-23T17:56:35.123Z`.
public enum ISO8601 {
    /// Why by hand: a Foundation formatter per call cost more than the rest of a JSON answer (a task page writes
    /// several dates per task), and a shared one is not safe across threads.
    public static func string(_ date: Date) -> String {
        // To the microsecond first, so binary fractions (0.999 is 0.99899…) land on the millisecond they name.
        let milliseconds = ((date.timeIntervalSince1970 * 1_000_000).rounded() / 1000).rounded(.down)
        var seconds = time_t(Int64((milliseconds / 1000).rounded(.down)))
        let millis = Int(milliseconds - Double(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = ""
        text.reserveCapacity(24)
        func append(_ value: Int, digits: Int) {
            let decimal = String(value)
            if decimal.count < digits { text += String(repeating: "0", count: digits - decimal.count) }
            text += decimal
        }
        append(Int(parts.tm_year) + 1900, digits: 4)
        text += "-"
        append(Int(parts.tm_mon) + 1, digits: 2)
        text += "-"
        append(Int(parts.tm_mday), digits: 2)
        text += "T"
        append(Int(parts.tm_hour), digits: 2)
        text += ":"
        append(Int(parts.tm_min), digits: 2)
        text += ":"
        append(Int(parts.tm_sec), digits: 2)
        text += "."
        append(millis, digits: 3)
        text += "Z"
        return text
    }
}
