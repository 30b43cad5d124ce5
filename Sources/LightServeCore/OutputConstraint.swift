/// The shape a client asked the output to have (structured generation), as Ingress read it from
/// either API. It travels with the request to the Tokenize stage, which compiles it against the
/// vocabulary (once per distinct constraint, cached) before the request is scheduled; a
/// constraint that does not compile is refused there, naming ``field``.
public struct OutputConstraint: Sendable, Equatable {
    /// A language over the output's text.
    public indirect enum Pattern: Sendable, Equatable {
        /// One JSON value valid under this JSON Schema.
        case jsonSchema(JSON)
        /// Any JSON object (OpenAI's `json_object`).
        case jsonObject
        /// Text the regular expression fully matches.
        case regex(String)
        /// Text the grammar derives from `root` (GBNF / xgrammar EBNF).
        case grammar(String)
        /// Exactly this text.
        case literal(String)
        /// Each pattern in turn.
        case sequence([Pattern])
        /// Any one of the patterns.
        case oneOf([Pattern])
        /// The pattern `min` times or more, at most `max` times when given.
        case repetition(Pattern, min: Int, max: Int?)
    }

    /// What is constrained.
    public enum Rule: Sendable, Equatable {
        /// The text follows the pattern; the sequence may end only where the pattern is complete.
        case pattern(Pattern)
        /// Only these token ids may be generated (LightLLM's `allowed_token_ids`).
        case allowedTokens([Int32])
    }

    /// When the rule holds.
    public enum Activation: Sendable, Equatable {
        /// From the first generated token.
        case immediately
        /// From the end of this text on (a reasoning model's `</think>`): the thinking is free.
        case after(String)
        /// Each time the output ends with one of these texts (a model's tool-call opening), for one
        /// run of the pattern; the text around the runs is free (`tool_choice: "auto"`).
        case whenever([String])
    }

    public var rule: Rule
    public var activation: Activation
    /// The request field it was read from, for error messages (`parameters.guided_json`,
    /// `response_format.json_schema.schema`).
    public var field: String

    public init(_ rule: Rule, activation: Activation = .immediately, field: String) {
        self.rule = rule
        self.activation = activation
        self.field = field
    }
}
