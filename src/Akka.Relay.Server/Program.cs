using Akka.Relay.Server.Hosting;

RelayApp.Build(args).Run();

/// <summary>The server's entry point.</summary>
public partial class Program;
