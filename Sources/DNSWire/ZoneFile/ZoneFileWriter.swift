/// Writes records as master-file text (RFC 1035 §5): one record per line, absolute names, explicit TTL and class.
///
/// The output reads back with ``ZoneFileReader`` and with BIND, ldns and Knot tools.
public enum ZoneFileWriter {
    /// The text for `records`, in the order given, each line ending in a newline.
    public static func write<S: Sequence>(_ records: S) -> String where S.Element == ResourceRecord {
        var out = ""
        for r in records {
            out += r.description
            out += "\n"
        }
        return out
    }
}
