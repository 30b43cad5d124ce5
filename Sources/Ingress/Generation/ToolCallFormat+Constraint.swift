import LightServeCore

extension ToolCallFormat {
    /// The constraint that keeps a chat's tool calls well-formed, built from the same literal
    /// text the model's chat template writes calls with, and each tool's `parameters` schema:
    ///
    /// - `required` or a named function: the whole answer is a section of calls (only that
    ///   function's for a named one; a single call without `parallel_tool_calls`);
    /// - `auto`: free text until the model opens a call with one of the format's trigger texts,
    ///   then that call (the rest of its section) must be well-formed; text around calls stays
    ///   free. Triggers that are the first character of the call's JSON itself (Llama's bare
    ///   `{`) cannot start a constraint, so calls opened that way are only parsed.
    ///
    /// Nil for `none`, and for `auto` when the format has no trigger a constraint can wait for.
    func constraint(tools: [JSON], choice: ToolChoice, parallel: Bool) -> OutputConstraint? {
        let offered: [JSON]
        switch choice {
        case .none: return nil
        case .function(let name): offered = tools.filter { $0["function"]?["name"]?.string == name }
        case .auto, .required: offered = tools
        }
        let calls = OutputConstraint.Pattern.oneOf(offered.map { tool in
            let function = tool["function"]
            let parameters = function?["parameters"].flatMap { $0 == .null ? nil : $0 } ?? .object([("type", "object")])
            return .sequence([
                .literal(callJSONPrefix(name: function?["name"]?.string ?? "")), .jsonSchema(parameters),
                .literal(Self.callJSONSuffix),
            ])
        })
        let call = OutputConstraint.Pattern.sequence([.literal(callOpen), calls, .literal(callClose)])
        let more = parallel && !isNamed(choice)
        let section = OutputConstraint.Pattern.sequence(
            [.literal(sectionOpen), call] + (more ? [.repetition(.sequence([.literal(callSeparator), call]), min: 0, max: nil)] : [])
                + [.literal(sectionClose)])
        guard choice == .auto else { return OutputConstraint(.pattern(section), field: "tools") }

        // After a trigger, the rest of what a section writes from that trigger on (a trigger that
        // is markup before the section, as `<|python_tag|>` is, leaves the whole section).
        let opening = sectionOpen + callOpen
        let triggers = self.triggers.filter { !$0.opensCall }
        guard let trigger = triggers.first else { return nil }
        let afterTrigger = opening.hasPrefix(trigger.text) ? String(opening.dropFirst(trigger.text.count)) : opening
        let rest = OutputConstraint.Pattern.sequence(
            [.literal(afterTrigger), calls, .literal(callClose)]
                + (more && !sectionClose.isEmpty ? [.repetition(.sequence([.literal(callSeparator), call]), min: 0, max: nil)] : [])
                + [.literal(sectionClose)])
        let activation: OutputConstraint.Activation = parallel ? .whenever(triggers.map(\.text)) : .after(trigger.text)
        return OutputConstraint(.pattern(rest), activation: activation, field: "tools")
    }

    private func isNamed(_ choice: ToolChoice) -> Bool {
        if case .function = choice { return true }
        return false
    }
}
