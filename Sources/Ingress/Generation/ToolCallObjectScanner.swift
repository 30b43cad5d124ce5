import LightServeCore

/// Reads one tool call's JSON object, `{"name": "f", "arguments": {...}}`, a code point at a
/// time, saying of each whether it is structure, part of the arguments value, the closing brace,
/// or something the object cannot continue with.
///
/// The object's own structure is read strictly (keys are strings, `name` is a string), so text
/// that only looks like a call is caught before the call is announced. The arguments value (and
/// any other member's value) is followed only as far as strings and nesting go: its text is the
/// model's, passed through as written, valid JSON whenever the model's is.
struct ToolCallObjectScanner {
    enum Step: Equatable {
        /// Consumed: white space or structure of the object.
        case structure
        /// Consumed: part of the arguments value.
        case arguments
        /// Consumed: the object's closing brace.
        case closed
        /// Not consumed: the object cannot continue with this code point.
        case invalid
    }

    private enum Phase {
        /// Before the opening brace.
        case open
        /// After `{`: a key or `}`.
        case firstKey
        /// After `,`: a key.
        case nextKey
        case key
        case colon
        case value
        case stringValue
        case nestedValue
        case literalValue
        case afterValue
        case closed
    }

    /// The members whose value is the call's arguments.
    private static let argumentKeys: Set<String> = ["arguments", "parameters"]

    private var phase = Phase.open
    private var escaped = false
    private var depth = 0
    private var inNestedString = false
    private var token: [Unicode.Scalar] = []
    private var key = ""
    private var readingName = false
    private var readingArguments = false

    /// The function's name, once its string has closed.
    private(set) var name: String?
    /// Whether the arguments value has begun.
    private(set) var argumentsStarted = false

    mutating func step(_ c: Unicode.Scalar) -> Step {
        let isSpace = c == " " || c == "\n" || c == "\r" || c == "\t"
        switch phase {
        case .open:
            if isSpace { return .structure }
            guard c == "{" else { return .invalid }
            phase = .firstKey
            return .structure
        case .firstKey, .nextKey:
            if isSpace { return .structure }
            if c == "}", phase == .firstKey {
                phase = .closed
                return .closed
            }
            guard c == "\"" else { return .invalid }
            token = [c]
            escaped = false
            phase = .key
            return .structure
        case .key:
            guard c.value >= 0x20 else { return .invalid }
            token.append(c)
            if escaped {
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                guard case .string(let decoded)? = try? JSON.parse(Self.utf8(token)) else { return .invalid }
                key = decoded
                phase = .colon
            }
            return .structure
        case .colon:
            if isSpace { return .structure }
            guard c == ":" else { return .invalid }
            phase = .value
            return .structure
        case .value:
            if isSpace { return .structure }
            return startValue(c)
        case .stringValue:
            guard !readingName || c.value >= 0x20 else { return .invalid }
            if readingName { token.append(c) }
            if escaped {
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                guard endValue() else { return .invalid }
                return finishingStep()
            }
            return readingArguments ? .arguments : .structure
        case .nestedValue:
            if inNestedString {
                if escaped {
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    inNestedString = false
                }
            } else if c == "\"" {
                inNestedString = true
            } else if c == "{" || c == "[" {
                depth += 1
            } else if c == "}" || c == "]" {
                depth -= 1
                if depth == 0 {
                    _ = endValue()
                    return finishingStep()
                }
            }
            return readingArguments ? .arguments : .structure
        case .literalValue:
            if c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "+" || c == "." {
                return readingArguments ? .arguments : .structure
            }
            _ = endValue()
            readingArguments = false
            return step(c)
        case .afterValue:
            if isSpace { return .structure }
            if c == "," {
                phase = .nextKey
                return .structure
            }
            guard c == "}" else { return .invalid }
            phase = .closed
            return .closed
        case .closed:
            return .invalid
        }
    }

    /// Starts the value of the member `key` with its first code point.
    private mutating func startValue(_ c: Unicode.Scalar) -> Step {
        readingName = key == "name" && name == nil
        readingArguments = Self.argumentKeys.contains(key) && !argumentsStarted
        if readingName && c != "\"" { return .invalid }
        switch c {
        case "\"":
            phase = .stringValue
            escaped = false
            token = [c]
        case "{", "[":
            phase = .nestedValue
            depth = 1
            inNestedString = false
            escaped = false
        case "-", "0"..."9", "t", "f", "n":
            phase = .literalValue
        default:
            return .invalid
        }
        if readingArguments { argumentsStarted = true }
        return readingArguments ? .arguments : .structure
    }

    /// Ends the current value; false when it was the name and does not decode.
    private mutating func endValue() -> Bool {
        phase = .afterValue
        if readingName {
            readingName = false
            guard case .string(let decoded)? = try? JSON.parse(Self.utf8(token)) else { return false }
            name = decoded
        }
        return true
    }

    /// The step for a value's last code point: the arguments' closing quote or bracket belongs
    /// to the arguments.
    private mutating func finishingStep() -> Step {
        defer { readingArguments = false }
        return readingArguments ? .arguments : .structure
    }

    private static func utf8(_ scalars: [Unicode.Scalar]) -> [UInt8] {
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars)
        return Array(String(text).utf8)
    }
}
