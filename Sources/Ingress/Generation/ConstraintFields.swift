import LightServeCore

/// LightLLM's constraint parameters, which both APIs take; at most one may be given.
struct ConstraintFields: RequestFieldGroup {
    let guidedJSON = RequestField(
        "guided_json", .jsonSchema, "Constrain the output to JSON this schema accepts (an object, or its text).")
    let regularConstraint = RequestField(
        "regular_constraint", .nonEmptyString, "Constrain the output to text this regular expression fully matches.")
    let guidedGrammar = RequestField(
        "guided_grammar", .nonEmptyString, "Constrain the output to this grammar (GBNF or xgrammar's EBNF).")
    let allowedTokenIDs: RequestField

    /// `vocabularySize` bounds the token ids the document states (the Tokenize stage checks them).
    init(vocabularySize: Int = RequestField.anyVocabulary) {
        allowedTokenIDs = RequestField("allowed_token_ids", .tokenIDs(vocabulary: vocabularySize), "Generate only these token ids.")
    }
}

extension ParameterReader {
    /// LightLLM's constraint parameters, read the same way on both APIs: `guided_json` (a JSON
    /// Schema, as an object or as its text), `regular_constraint` (a regular expression the output
    /// fully matches), `guided_grammar` (GBNF / xgrammar EBNF) and `allowed_token_ids`. At most one
    /// may be given. Whether a schema, expression or grammar compiles is checked by the Tokenize
    /// stage, which answers 400 naming the field and where it failed.
    func constraint() throws(APIError) -> OutputConstraint? {
        let declared = ConstraintFields()
        let names = declared.fields.map(\.name).filter(has)
        guard names.count <= 1 else {
            throw APIError.invalid(path + names[1], "cannot be combined with \(path + names[0]): give at most one constraint")
        }
        guard let name = names.first else { return nil }
        let field = path + name
        switch name {
        case declared.guidedJSON.name:
            return OutputConstraint(.pattern(.jsonSchema(try schema(name))), field: field)
        case declared.regularConstraint.name:
            return OutputConstraint(.pattern(.regex(try nonEmptyString(name))), field: field)
        case declared.guidedGrammar.name:
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
