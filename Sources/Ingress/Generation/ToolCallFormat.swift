import LightServeCore

/// How a model writes tool calls in its output, read from its chat template: the trigger that
/// starts them (so a grammar can wait for it, and a parser can hide it) and the literal text
/// around each call's JSON (so a grammar can force a call for `tool_choice: required` or a named
/// function). A forced section of calls is exactly
///
///     sectionOpen + call + (callSeparator + call)* + sectionClose
///     call = callOpen + callJSONPrefix(name:) + <arguments JSON> + callJSONSuffix + callClose
///
/// which is how the format's own chat template renders an assistant's calls.
public struct ToolCallFormat: Sendable, Equatable, CustomStringConvertible {
    /// The families of tool-call syntax LightServe reads.
    public enum Family: String, Sendable, CaseIterable {
        /// Qwen2.5, Qwen3, QwQ, Hermes 2 Pro / 3: `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>`,
        /// one block per call.
        case hermes
        /// Llama 3.1-3.3: `{"name": ..., "parameters": {...}}` as the whole answer, optionally
        /// after `<|python_tag|>`; several calls separated by `;`.
        case llama3JSON = "llama3-json"
        /// Mistral 7B v0.3, Nemo (tokenizer v3): `[TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]`.
        case mistral
    }

    public let family: Family
    /// What starts tool calls in the output; any one of them does.
    public let triggers: [ToolCallTrigger]
    /// Text before the first call of a forced section (after it, calls follow directly).
    public let sectionOpen: String
    /// Text before each call's JSON object.
    public let callOpen: String
    /// Text after each call's JSON object.
    public let callClose: String
    /// Text between two calls.
    public let callSeparator: String
    /// Text after the last call of a section.
    public let sectionClose: String
    /// The member that holds a call's arguments (`arguments`, or Llama's `parameters`).
    public let argumentsKey: String

    /// The JSON of a call up to its arguments: `{"name": "get_weather", "arguments": `.
    public func callJSONPrefix(name: String) -> String {
        var out = "{\"name\": "
        JSONStringLiteral.append(name, to: &out)
        return out + ", \"" + argumentsKey + "\": "
    }

    /// The JSON of a call after its arguments.
    public static let callJSONSuffix = "}"

    public var description: String { family.rawValue }

    /// Small Qwen models sometimes leave out the tags and answer with the call's JSON alone, so
    /// a bare object at the start of the answer is read as a call too (when it names an offered
    /// function).
    public static let hermes = ToolCallFormat(
        family: .hermes,
        triggers: [
            ToolCallTrigger(text: "<tool_call>", isToken: true),
            ToolCallTrigger(text: "{", isToken: false, onlyAtStart: true, opensCall: true),
        ],
        sectionOpen: "", callOpen: "<tool_call>\n", callClose: "\n</tool_call>", callSeparator: "\n", sectionClose: "",
        argumentsKey: "arguments")

    public static let llama3JSON = ToolCallFormat(
        family: .llama3JSON,
        triggers: [
            ToolCallTrigger(text: "<|python_tag|>", isToken: true),
            ToolCallTrigger(text: "{", isToken: false, onlyAtStart: true, opensCall: true),
        ],
        sectionOpen: "", callOpen: "", callClose: "", callSeparator: "; ", sectionClose: "", argumentsKey: "parameters")

    public static let mistral = ToolCallFormat(
        family: .mistral, triggers: [ToolCallTrigger(text: "[TOOL_CALLS]", isToken: true)],
        sectionOpen: "[TOOL_CALLS][", callOpen: "", callClose: "", callSeparator: ", ", sectionClose: "]",
        argumentsKey: "arguments")

    /// The format a chat template's tool section speaks, or nil when it renders none LightServe
    /// reads (no tools at all, or another syntax such as Mistral's `[TOOL_CALLS]name[ARGS]{...}`).
    public init?(chatTemplate source: String) {
        if source.contains("<tool_call>") {
            self = .hermes
        } else if source.contains("[TOOL_CALLS]") {
            // Tokenizer v7+ templates write `[TOOL_CALLS]name[ARGS]{...}`, a different syntax.
            guard !source.contains("[ARGS]") else { return nil }
            self = .mistral
        } else if source.contains("<|python_tag|>")
            || (source.contains("<|start_header_id|>") && source.contains("\"parameters\""))
        {
            self = .llama3JSON
        } else {
            return nil
        }
    }

    private init(
        family: Family, triggers: [ToolCallTrigger], sectionOpen: String, callOpen: String, callClose: String,
        callSeparator: String, sectionClose: String, argumentsKey: String
    ) {
        self.family = family
        self.triggers = triggers
        self.sectionOpen = sectionOpen
        self.callOpen = callOpen
        self.callClose = callClose
        self.callSeparator = callSeparator
        self.sectionClose = sectionClose
        self.argumentsKey = argumentsKey
    }
}
