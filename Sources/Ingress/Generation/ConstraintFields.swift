import LightServeCore

extension ParameterReader {
    /// LightLLM's constraint parameters, read the same way on both APIs: `guided_json` (a JSON
    /// Schema, as an object or as its text), `regular_constraint` (a regular expression the output
    /// fully matches), `guided_grammar` (GBNF / xgrammar EBNF) and `allowed_token_ids`. At most one
    /// may be given. Whether a schema, expression or grammar compiles is checked by the Tokenize
    /// stage, which answers 400 naming the field and where it failed.
    func constraint() throws(APIError) -> OutputConstraint? {
        let names = ["guided_json", "regular_constraint", "guided_grammar", "allowed_token_ids"].filter(has)
        guard names.count <= 1 else {
            throw APIError.invalid(path + names[1], "cannot be combined with \(path + names[0]): give at most one constraint")
        }
        guard let name = names.first else { return nil }
        let field = path + name
        switch name {
        case "guided_json":
            return OutputConstraint(.pattern(.jsonSchema(try schema(name))), field: field)
        case "regular_constraint":
            return OutputConstraint(.pattern(.regex(try nonEmptyString(name))), field: field)
        case "guided_grammar":
            return OutputConstraint(.pattern(.grammar(try nonEmptyString(name))), field: field)
        default:
            return OutputConstraint(.allowedTokens(try tokenIDs(name)), field: field)
        }
    }

    /// A JSON Schema given as an object or a boolean, or as the text of one.
    func schema(_ name: String) throws(APIError) -> JSON {
        switch self[name] {
        case .object?, .bool?:
            return self[name]!
        case .string(let text)?:
            do {
                let parsed = try JSON.parse(text)
                if parsed.isObject || parsed == .bool(true) || parsed == .bool(false) { return parsed }
            } catch {
                throw APIError.invalid(path + name, "is not valid JSON: \(error)")
            }
            throw APIError.invalid(path + name, "must be a JSON Schema (an object)")
        default:
            throw APIError.invalid(path + name, "must be a JSON Schema (an object, or its text)")
        }
    }

    private func nonEmptyString(_ name: String) throws(APIError) -> String {
        guard case .string(let text)? = self[name], !text.isEmpty else {
            throw APIError.invalid(path + name, "must be a non-empty string")
        }
        return text
    }

    private func tokenIDs(_ name: String) throws(APIError) -> [Int32] {
        guard case .array(let items)? = self[name], !items.isEmpty else {
            throw APIError.invalid(path + name, "must be a non-empty list of token ids")
        }
        guard case .tokens(let ids) = try PromptReader.tokens(items, field: path + name) else { return [] }
        return ids
    }
}
