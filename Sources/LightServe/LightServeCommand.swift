import ArgumentParser
import Execute
import Foundation
import Logging

@main
struct LightServeCommand: AsyncParsableCommand {
    /// Logs go to standard error; standard output carries results (and the listening address).
    static func main() async {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        // Before any kernel can run: a processor without them gets a message, not SIGILL.
        let missing = ProcessorFeatures.current.missingBaseline
        if !missing.isEmpty {
            FileHandle.standardError.write(Data("lightserve: \(ExecuteError.unsupportedProcessor(missing: missing))\n".utf8))
            Foundation.exit(1)
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "lightserve",
        abstract: "An LLM inference server for GGUF models on the CPU, speaking LightLLM's HTTP API.",
        subcommands: [ServeCommand.self, GenerateCommand.self, TokenizeCommand.self, QuantizeCommand.self, ModelsCommand.self],
        defaultSubcommand: nil)
}
