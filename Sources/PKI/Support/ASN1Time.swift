import Foundation
import SwiftASN1

/// Date ↔ ASN.1 time conversions for the structures we write ourselves (CRL, OCSP).
enum ASN1Time {
    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        return calendar
    }()

    private static func components(_ date: Date) -> DateComponents {
        calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    }

    static func generalizedTime(_ date: Date) throws -> GeneralizedTime {
        let c = components(date)
        return try GeneralizedTime(
            year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1,
            hours: c.hour ?? 0, minutes: c.minute ?? 0, seconds: c.second ?? 0, fractionalSeconds: 0
        )
    }

    /// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    static func serializeTime(_ date: Date, into coder: inout DER.Serializer) throws {
        let c = components(date)
        if let year = c.year, year < 2050 {
            try coder.serialize(
                try UTCTime(
                    year: year, month: c.month ?? 1, day: c.day ?? 1,
                    hours: c.hour ?? 0, minutes: c.minute ?? 0, seconds: c.second ?? 0)
            )
        } else {
            try coder.serialize(try generalizedTime(date))
        }
    }

    static func date(_ time: GeneralizedTime) -> Date? {
        calendar.date(
            from: DateComponents(
                year: time.year, month: time.month, day: time.day, hour: time.hours, minute: time.minutes,
                second: time.seconds
            ))
    }

    static func date(_ time: UTCTime) -> Date? {
        calendar.date(
            from: DateComponents(
                year: time.year, month: time.month, day: time.day, hour: time.hours, minute: time.minutes,
                second: time.seconds
            ))
    }

    /// Parses a `Time ::= CHOICE { utcTime, generalTime }` node.
    static func parseTime(_ node: ASN1Node) throws -> Date {
        if node.identifier == UTCTime.defaultIdentifier, let date = date(try UTCTime(derEncoded: node)) { return date }
        if node.identifier == GeneralizedTime.defaultIdentifier, let date = date(try GeneralizedTime(derEncoded: node))
        {
            return date
        }
        throw PKIError.malformed("expected a UTCTime or GeneralizedTime")
    }
}
