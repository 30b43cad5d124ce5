/// Splits text into the pieces BPE merges within, following the regular expressions of the
/// `tokenizer.ggml.pre` families, hand-coded over Unicode scalars (no regex engine: the patterns
/// are fixed and this is the tokenizer's hot loop).
public enum PreTokenizer: Sendable, Equatable {
    /// GPT-2's pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
    /// optionally after first splitting every digit off on its own (`\p{N}`), as SmolLM and
    /// StarCoder do.
    case gpt2(isolateDigits: Bool)
    /// Llama 3's pattern: case-insensitive contractions, `[^\r\n\p{L}\p{N}]?\p{L}+`,
    /// `\p{N}{1,maxDigits}`, ` ?[^\s\p{L}\p{N}]+[\r\n]*`, `\s*[\r\n]+`, `\s+(?!\S)`, `\s+`.
    /// Qwen 2 (and DeepSeek-R1's Qwen distills, `deepseek-r1-qwen`) is the same with single digits.
    case llama3(maxDigits: Int)

    /// The `tokenizer.ggml.pre` names this type understands.
    public static let supportedNames = ["gpt2", "smollm", "starcoder", "llama-bpe", "llama3", "qwen2", "deepseek-r1-qwen"]

    /// The pre-tokenizer for a `tokenizer.ggml.pre` name.
    public init(name: String) throws(TokenizerError) {
        switch name {
        case "gpt2", "default": self = .gpt2(isolateDigits: false)
        case "smollm", "starcoder", "refact", "codeshell": self = .gpt2(isolateDigits: true)
        case "llama-bpe", "llama3": self = .llama3(maxDigits: 3)
        case "qwen2", "deepseek-r1-qwen", "stablelm2": self = .llama3(maxDigits: 1)
        case let other: throw .unsupportedPreTokenizer(other)
        }
    }

    /// Calls `emit` with each piece of `text[range]` in order, as ranges of scalar indices.
    func split(_ text: ScalarText, _ range: Range<Int>, _ emit: (Range<Int>) -> Void) {
        switch self {
        case .gpt2(let isolateDigits):
            guard isolateDigits else { return Self.splitGPT2(text, range, emit) }
            var start = range.lowerBound
            for i in range where text.flags[i].contains(.number) {
                if start < i { Self.splitGPT2(text, start..<i, emit) }
                emit(i..<(i + 1))
                start = i + 1
            }
            if start < range.upperBound { Self.splitGPT2(text, start..<range.upperBound, emit) }
        case .llama3(let maxDigits):
            Self.splitLlama3(text, range, maxDigits: maxDigits, emit)
        }
    }

    /// Length of a contraction (`'s`, `'re`, …) starting at `i`, or 0.
    private static func contractionLength(_ text: ScalarText, _ i: Int, _ end: Int, caseInsensitive: Bool) -> Int {
        guard text.scalars[i] == 0x27, i + 1 < end else { return 0 }
        func lower(_ k: Int) -> UInt32 {
            let c = text.scalars[k]
            return caseInsensitive && (0x41...0x5A).contains(c) ? c + 0x20 : c
        }
        let c1 = lower(i + 1)
        if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 { return 2 }  // s t m d
        if i + 2 < end {
            let c2 = lower(i + 2)
            if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) { return 3 }  // re ve ll
        }
        return 0
    }

    /// Length of a run of whitespace starting at `i` under `\s+(?!\S)|\s+`: the whole run when
    /// it reaches the end of the piece or is a single character, else all but its last character
    /// (which then leads the next piece).
    private static func whitespaceRunLength(_ text: ScalarText, _ i: Int, _ end: Int) -> Int {
        var j = i
        while j < end && text.flags[j].contains(.whitespace) { j += 1 }
        let run = j - i
        return j < end && run > 1 ? run - 1 : run
    }

    private static func splitGPT2(_ text: ScalarText, _ range: Range<Int>, _ emit: (Range<Int>) -> Void) {
        let end = range.upperBound
        var i = range.lowerBound
        let flags = text.flags
        while i < end {
            let start = i
            let contraction = contractionLength(text, i, end, caseInsensitive: false)
            if contraction > 0 {
                i += contraction
            } else {
                let leadingSpace = text.scalars[i] == 0x20 && i + 1 < end
                let head = leadingSpace ? i + 1 : i
                let f = flags[head]
                if f.contains(.letter) {
                    i = head + 1
                    while i < end && flags[i].contains(.letter) { i += 1 }
                } else if f.contains(.number) {
                    i = head + 1
                    while i < end && flags[i].contains(.number) { i += 1 }
                } else if !f.contains(.whitespace) {
                    i = head + 1
                    while i < end && flags[i].isOther { i += 1 }
                } else {
                    i += whitespaceRunLength(text, i, end)
                }
            }
            emit(start..<i)
        }
    }

    private static func splitLlama3(
        _ text: ScalarText, _ range: Range<Int>, maxDigits: Int, _ emit: (Range<Int>) -> Void
    ) {
        let end = range.upperBound
        var i = range.lowerBound
        let flags = text.flags
        func isNewline(_ k: Int) -> Bool { text.scalars[k] == 0x0A || text.scalars[k] == 0x0D }
        while i < end {
            let start = i
            let f = flags[i]
            let contraction = contractionLength(text, i, end, caseInsensitive: true)
            if contraction > 0 {
                i += contraction
            } else if f.contains(.letter) || (!f.contains(.number) && !isNewline(i) && i + 1 < end && flags[i + 1].contains(.letter)) {
                // [^\r\n\p{L}\p{N}]?\p{L}+
                i += 1
                while i < end && flags[i].contains(.letter) { i += 1 }
            } else if f.contains(.number) {
                i += 1
                while i < end && i - start < maxDigits && flags[i].contains(.number) { i += 1 }
            } else if f.isOther || (text.scalars[i] == 0x20 && i + 1 < end && flags[i + 1].isOther) {
                //  ?[^\s\p{L}\p{N}]+[\r\n]*
                i += text.scalars[i] == 0x20 ? 2 : 1
                while i < end && flags[i].isOther { i += 1 }
                while i < end && isNewline(i) { i += 1 }
            } else {
                // \s*[\r\n]+ takes the run up to its last newline; otherwise \s+(?!\S)|\s+.
                var j = i
                var lastNewline = -1
                while j < end && flags[j].contains(.whitespace) {
                    if isNewline(j) { lastNewline = j }
                    j += 1
                }
                i = lastNewline >= 0 ? lastNewline + 1 : i + whitespaceRunLength(text, i, end)
            }
            emit(start..<i)
        }
    }
}

/// Text as Unicode scalar values with the character classes the pre-tokenizer patterns ask about.
struct ScalarText {
    struct Flags: OptionSet {
        let rawValue: UInt8
        static let letter = Flags(rawValue: 1)
        static let number = Flags(rawValue: 2)
        static let whitespace = Flags(rawValue: 4)

        /// `[^\s\p{L}\p{N}]`
        var isOther: Bool { isEmpty }
    }

    var scalars: [UInt32] = []
    var flags: [Flags] = []

    init(_ text: Substring.UnicodeScalarView) {
        scalars.reserveCapacity(text.count)
        flags.reserveCapacity(text.count)
        for scalar in text {
            scalars.append(scalar.value)
            flags.append(Self.classify(scalar))
        }
    }

    private static let asciiFlags: [Flags] = (0..<128).map { classifySlow(Unicode.Scalar(UInt8($0))) }

    static func classify(_ scalar: Unicode.Scalar) -> Flags {
        scalar.value < 128 ? asciiFlags[Int(scalar.value)] : classifySlow(scalar)
    }

    private static func classifySlow(_ scalar: Unicode.Scalar) -> Flags {
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return []
        }
    }
}
