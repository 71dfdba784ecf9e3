import ArgumentParser

/// The process entry point. The root command is async, and ArgumentParser only picks its async
/// `main()` when called from an async context, so call it explicitly.
@main
enum Entry {
    static func main() async {
        await ConnectSourceCommand.main()
    }
}
