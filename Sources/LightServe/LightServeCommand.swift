import ArgumentParser

@main
struct LightServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lightserve",
        abstract: "An LLM inference server for GGUF models on the CPU, speaking LightLLM's HTTP API.",
        subcommands: [ServeCommand.self, GenerateCommand.self, TokenizeCommand.self],
        defaultSubcommand: nil)
}
