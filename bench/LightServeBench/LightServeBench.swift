import ArgumentParser

@main
struct LightServeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lightserve-bench",
        abstract: "LightServe benchmarks; each prints JSON figures with in-run baselines.",
        subcommands: [
            EngineBenchmark.self, BatchBenchmark.self, KernelBenchmark.self, TokenizerBenchmark.self, LoadBenchmark.self,
            GrammarBenchmark.self, VerifyBenchmark.self, SpeculativeBenchmark.self,
        ])
}
