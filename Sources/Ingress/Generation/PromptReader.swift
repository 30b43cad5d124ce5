import LightServeCore

/// The prompt shapes both APIs take: a text or a token list, and (OpenAI's completions) a batch
/// of either. Token ids are range-checked against the vocabulary later, by the Tokenize stage.
enum PromptReader {
    /// A text or a token list (LightLLM's `inputs`).
    static func single(_ value: JSON?, field: String) throws(APIError) -> PromptInput {
        switch value {
        case .string(let text)?:
            return .text(text)
        case .array(let items)?:
            return try tokens(items, field: field)
        case nil, .null?:
            throw APIError.invalid(field, "is required (a string or a list of token ids)")
        case let other?:
            throw APIError.invalid(field, "must be a string or a list of token ids, got \(other.typeName)")
        }
    }

    /// A text, a token list, a list of texts or a list of token lists (OpenAI's `prompt`).
    static func batch(_ value: JSON?, field: String) throws(APIError) -> [PromptInput] {
        let shapes = "a string, a list of strings, a token list or a list of token lists"
        switch value {
        case .string(let text)?:
            return [.text(text)]
        case .array(let items)? where !items.isEmpty:
            if items.allSatisfy({ $0.string != nil }) { return items.map { .text($0.string ?? "") } }
            if items.allSatisfy({ if case .int = $0 { true } else { false } }) { return [try tokens(items, field: field)] }
            var prompts: [PromptInput] = []
            for item in items {
                guard case .array(let list) = item else { throw APIError.invalid(field, "must be \(shapes)") }
                prompts.append(try tokens(list, field: field))
            }
            return prompts
        case nil, .null?:
            throw APIError.invalid(field, "is required")
        default:
            throw APIError.invalid(field, "must be \(shapes)")
        }
    }

    /// A list of non-negative token ids.
    static func tokens(_ items: [JSON], field: String) throws(APIError) -> PromptInput {
        var ids: [Int32] = []
        ids.reserveCapacity(items.count)
        for item in items {
            guard case .int(let i) = item, let id = Int32(exactly: i), id >= 0 else {
                throw APIError.invalid(field, "a token list must hold non-negative integers, found \(item.serialized)")
            }
            ids.append(id)
        }
        return .tokens(ids)
    }
}
