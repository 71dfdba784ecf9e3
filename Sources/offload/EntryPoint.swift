import OffloadCLI

/// The `offload` executable; the commands live in OffloadCLI so apps can embed them.
///
/// An explicit async `main` rather than top-level `await OffloadCommand.main()` in
/// main.swift: there the compiler picks ArgumentParser's synchronous `main()`, which
/// then refuses to run async subcommands ("Asynchronous root command needs
/// availability annotation").
@main
enum EntryPoint {
    static func main() async {
        await OffloadCommand.main()
    }
}
