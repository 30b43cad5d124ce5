/// The JSON Schema `format`s that are enforced, as regular expressions over the string's
/// characters. Each accepts only valid values (a conservative subset where the standard is
/// loose), so a generated value passes a strict validator:
///
/// - `date`: RFC 3339 full-date, years 0001–9999, real calendar days (February 29 in leap years
///   only);
/// - `time`: RFC 3339 full-time, `HH:MM:SS`, optional fraction, `Z` or a `±HH:MM` offset (no leap
///   second);
/// - `date-time`: `date` `T` `time`;
/// - `uuid`: 8-4-4-4-12 hex digits;
/// - `email`: dot-separated atoms of RFC 5322 atext `@` dot-separated letter-digit-hyphen labels
///   (no hyphen at either end) ending in a top-level label of two or more letters;
/// - `ipv4`: four 0–255 parts without leading zeros.
enum StringFormats {
    private static let year = #"(?:[1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])"#
    private static let leapYear = #"(?:\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"#
    private static let date =
        #"(?:"# + year + #"-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|"# + year + #"-(?:0[13-9]|1[0-2])-(?:29|30)|"#
        + year + #"-(?:0[13578]|1[02])-31|"# + leapYear + #"-02-29)"#
    private static let time = #"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)"#
    private static let atom = #"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"#
    private static let label = #"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"#
    private static let octet = #"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"#

    static let patterns: [String: RegexNode] = {
        let sources = [
            "date": date,
            "time": time,
            "date-time": date + "T" + time,
            "uuid": #"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"#,
            "email": atom + #"(?:\."# + atom + ")*@(?:" + label + #"\.)+[A-Za-z]{2,}"#,
            "ipv4": octet + #"(?:\."# + octet + "){3}",
        ]
        var out: [String: RegexNode] = [:]
        for (name, source) in sources {
            do {
                out[name] = try RegexParser.parse(source).node
            } catch {
                preconditionFailure("format \(name): \(error)")
            }
        }
        return out
    }()
}
