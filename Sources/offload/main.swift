import OffloadCLI

await OffloadCommand.main()
