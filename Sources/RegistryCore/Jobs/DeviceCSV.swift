/// The CSV a portal imports: the seed's `Device ID, Model, Version` columns plus ours.
///
/// Recognised headers (case and spacing ignored): `Device ID`/`EID`, `ICCID`, `Model`, `Version`/`Firmware Version`,
/// `Serial`, `Owner`, `MNO`, `MUD URL`, `Auth Code`. Fields may be quoted (RFC 4180); unknown columns are refused so
/// a misspelt header is reported, not ignored.
public enum DeviceCSV {
    /// Parses `text` into job items.
    ///
    /// - Throws: ``RegistryError`` `invalidInput` naming the line and what is wrong.
    public static func parse(_ text: String, maxRows: Int = 10_000_000) throws -> [JobItemInput] {
        var rows = try records(text)
        guard !rows.isEmpty else { throw RegistryError.invalidInput("the CSV is empty; it needs a header row") }
        let header = rows.removeFirst().map(normalise)
        var columns: [Int: String] = [:]
        for (index, name) in header.enumerated() {
            guard let field = fieldNames[name] else {
                throw RegistryError.invalidInput(
                    "unknown CSV column '\(name)'; known: Device ID, ICCID, Model, Version, Serial, Owner, MNO, "
                        + "MUD URL, Auth Code")
            }
            columns[index] = field
        }
        guard columns.values.contains("eid") else {
            throw RegistryError.invalidInput("the CSV needs a 'Device ID' (EID) column")
        }
        guard rows.count <= maxRows else { throw RegistryError.invalidInput("the CSV has more than \(maxRows) rows") }
        var items: [JobItemInput] = []
        items.reserveCapacity(rows.count)
        for (offset, row) in rows.enumerated() where !(row.count == 1 && row[0].isEmpty) {
            guard row.count == header.count else {
                throw RegistryError.invalidInput(
                    "CSV line \(offset + 2) has \(row.count) fields, the header has \(header.count)")
            }
            var item = JobItemInput(eid: "")
            for (index, value) in row.enumerated() {
                let value = value.trimmingWhitespace
                let optional = value.isEmpty ? nil : value
                switch columns[index] {
                case "eid": item.eid = value
                case "iccid": item.iccid = optional
                case "model": item.model = optional
                case "firmwareVersion": item.firmwareVersion = optional
                case "serial": item.serial = optional
                case "owner": item.owner = optional
                case "mno": item.mno = optional
                case "mudURL": item.mudURL = optional
                case "authCode": item.authCode = optional
                default: break
                }
            }
            items.append(item)
        }
        return items
    }

    private static let fieldNames: [String: String] = [
        "deviceid": "eid", "eid": "eid", "euiccid": "eid", "iccid": "iccid", "model": "model",
        "version": "firmwareVersion", "firmwareversion": "firmwareVersion", "serial": "serial", "owner": "owner",
        "mno": "mno", "mudurl": "mudURL", "authcode": "authCode",
    ]

    private static func normalise(_ header: String) -> String {
        String(header.lowercased().filter { $0.isLetter || $0.isNumber })
    }

    /// RFC 4180 records: commas, quoted fields with doubled quotes, CRLF or LF line ends.
    static func records(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var field = ""
        var record: [String] = []
        var inQuotes = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        var line = 1
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            inQuotes = false
                            pending = next
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                guard field.isEmpty else {
                    throw RegistryError.invalidInput("CSV line \(line): a quote inside an unquoted field")
                }
                inQuotes = true
            case ",":
                record.append(field)
                field = ""
            case "\r":
                continue
            case "\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
                line += 1
            default:
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw RegistryError.invalidInput("CSV line \(line): a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
