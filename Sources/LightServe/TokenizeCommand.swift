import ArgumentParser
import GGUF
import Tokenize

/// `lightserve tokenize`: the token ids of a text, as a JSON list.
struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Print the token ids of a text as a JSON list (special tokens recognised).")

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "The text to tokenize.")
    var text: String

    func run() async throws {
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: await modelOptions.resolvedModelPath()))
        print("[" + tokenizer.encode(text).map(String.init).joined(separator: ",") + "]")
    }
}
