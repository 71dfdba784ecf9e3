import OffloadCLI

/// The `offload` executable: all of it lives in OffloadCLI, so apps can embed the commands.
@main
extension OffloadCommand {}
